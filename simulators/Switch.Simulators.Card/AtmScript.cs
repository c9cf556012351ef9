using System.Text.Json.Serialization;

namespace Switch.Simulators.Card;

/// <summary>One step of an ATM script: a withdrawal, a balance inquiry, or the reversal of the last withdrawal.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class AtmScriptStep
{
    /// <summary>withdraw, balance, reverse.</summary>
    public string Action { get; set; } = "";

    /// <summary>A demo card letter or a profile file (withdraw, balance).</summary>
    public string? Card { get; set; }

    /// <summary>The amount asked for (withdraw), minor units.</summary>
    public long AmountMinor { get; set; }

    /// <summary>The PIN entered (default the card's).</summary>
    public string? Pin { get; set; }

    /// <summary>reverse: what the dispenser did pay out (a partial reversal, DE 95); absent: nothing came out (full).</summary>
    public long? DispensedMinor { get; set; }

    /// <summary>The DE 39 expected; a different answer fails the step.</summary>
    public string? Expect { get; set; }

    /// <summary>balance: the available balance (DE 54 amount type 02) expected, minor units.</summary>
    public long? ExpectAvailableMinor { get; set; }
}

/// <summary>An ATM script file: {"steps": [...]} (docs/simulators.md), strict JSON, bounded read, checked before anything is sent.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class AtmScript
{
    /// <summary>Steps accepted in one script.</summary>
    public const int StepsMax = 10_000;

    /// <summary>The steps, in order.</summary>
    public List<AtmScriptStep> Steps { get; set; } = [];

    /// <summary>Reads and checks a script; throws <see cref="ArgumentException"/> naming the file and the line and column or the step.</summary>
    public static AtmScript Load(string path)
    {
        var script = SimJson.Load<AtmScript>(path, "script", PosScript.FileBytesMax);
        script.Validate(path);
        return script;
    }

    private void Validate(string path)
    {
        if (Steps.Count is 0 or > StepsMax) throw new ArgumentException($"script {path}: steps: 1 to {StepsMax} steps");
        bool withdrawn = false;
        for (int i = 0; i < Steps.Count; i++)
        {
            var s = Steps[i] ?? throw new ArgumentException($"script {path}: steps[{i}]: must not be null");
            string at = $"script {path}: steps[{i}]";
            if (s.Action is not ("withdraw" or "balance" or "reverse")) throw new ArgumentException($"{at}.action: '{s.Action}' is not one of withdraw, balance, reverse");
            if (s.Action != "reverse" && s.Card is null) throw new ArgumentException($"{at}.card: a {s.Action} step needs a card");
            if (s.Action == "withdraw" && s.AmountMinor is < 1 or > 999_999_999_999) throw new ArgumentException($"{at}.amountMinor: a withdrawal is 1 to 999999999999");
            if (s.Action == "reverse" && !withdrawn) throw new ArgumentException($"{at}.action: reverse needs a withdraw step before it");
            if (s.DispensedMinor is not null && s.Action != "reverse") throw new ArgumentException($"{at}.dispensedMinor: only on a reverse step");
            if (s.ExpectAvailableMinor is not null && s.Action != "balance") throw new ArgumentException($"{at}.expectAvailableMinor: only on a balance step");
            if (s.Expect is not null && s.Expect.Length != 2) throw new ArgumentException($"{at}.expect: a response code is two characters");
            if (s.Pin is not null && (s.Pin.Length is < 4 or > 12 || !RequestMatch.IsDigits(s.Pin))) throw new ArgumentException($"{at}.pin: 4 to 12 digits");
            withdrawn |= s.Action == "withdraw";
            if (s.Card is null) continue;
            try
            {
                CardProfile.Resolve(s.Card);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException)
            {
                throw new ArgumentException($"{at}.card: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// Runs the steps in order on the ATM, handing each exchange to <paramref name="onExchange"/>; stops at the first step
    /// without an answer, with an unexpected DE 39 or available balance, and returns its error (null when every step passed).
    /// </summary>
    public async Task<string?> RunAsync(AtmTerminal atm, Action<PosExchange> onExchange, CancellationToken ct)
    {
        for (int i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            PosExchange x = step.Action switch
            {
                "withdraw" => await atm.WithdrawAsync(CardProfile.Resolve(step.Card!), step.AmountMinor, step.Pin, ct).ConfigureAwait(false),
                "balance" => await atm.BalanceAsync(CardProfile.Resolve(step.Card!), step.Pin, ct).ConfigureAwait(false),
                _ => await atm.ReverseLastAsync(step.DispensedMinor, ct).ConfigureAwait(false),
            };
            onExchange(x);
            if (x.Error is not null) return $"step {i + 1} ({x.Kind}): {x.Error}";
            if (step.Expect is not null && step.Expect != x.ResponseCode) return $"step {i + 1} ({x.Kind}): expected DE39 {step.Expect}, got {x.ResponseCode ?? "none"}";
            if (step.ExpectAvailableMinor is long expected && Available(x) is var available && available != expected)
                return $"step {i + 1} ({x.Kind}): expected an available balance of {expected}, got {(available?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")}";
        }
        return null;
    }

    /// <summary>The signed available balance (DE 54 amount type 02) of an answer, or null.</summary>
    public static long? Available(PosExchange x)
    {
        try
        {
            return AtmTerminal.Balances(x).FirstOrDefault(a => a.AmountType == "02")?.SignedMinor;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
