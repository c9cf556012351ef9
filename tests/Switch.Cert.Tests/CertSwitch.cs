using System.Text.Json.Nodes;

namespace Switch.Cert.Tests;

/// <summary>
/// A real switch for the certification runner: no issuer simulator in the test process (the runner hosts it on
/// <see cref="SwitchProcess.IssuerPort"/>), and short store-and-forward retries so the suite's reversal and advice
/// cases finish quickly.
/// </summary>
public sealed class CertSwitch : SwitchProcess
{
    protected override bool StartsIssuer => false;

    protected override void Customize(JsonObject config)
    {
        var core = config["core"]!.AsObject();
        core["safFirstRetryMs"] = 1000;
        core["safRetryMaxMs"] = 4000;
        // Eight helpers share the machine's Postgres: a busy moment must not fail the seed.
        config["postgres"]!.AsObject()["connectTimeoutMs"] = 15000;
    }
}
