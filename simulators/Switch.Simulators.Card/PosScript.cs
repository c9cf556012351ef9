using System.Text.Json.Serialization;

namespace Switch.Simulators.Card;

/// <summary>One step of a POS script: a transaction, the duplicate of the last request, or the reversal of the last transaction.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class PosScriptStep
{
    /// <summary>send (default), duplicate, reverse-last.</summary>
    public string Action { get; set; } = "send";

    /// <summary>A demo card letter or a profile file (send).</summary>
    public string? Card { get; set; }

    /// <summary>DE 4 in minor units (send).</summary>
    public long AmountMinor { get; set; }

    /// <summary>MTI (send: 0200 by default; reverse-last: 0400 by default).</summary>
    public string? Mti { get; set; }

    /// <summary>Processing code (send).</summary>
    public string ProcessingCode { get; set; } = "00";

    /// <summary>The PIN entered (default the card's).</summary>
    public string? Pin { get; set; }

    /// <summary>Send no PIN block.</summary>
    public bool NoPin { get; set; }

    /// <summary>bad-mac, no-mac, wrong-pin (send).</summary>
    public string? Fault { get; set; }

    /// <summary>DE 95 actual amount (reverse-last).</summary>
    public long? PartialMinor { get; set; }

    /// <summary>The DE 39 expected; a different answer fails the step.</summary>
    public string? Expect { get; set; }
}

/// <summary>A POS script file: {"steps": [...]} (docs/simulators.md), strict JSON, bounded read, checked before anything is sent.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class PosScript
{
    /// <summary>Largest script file read.</summary>
    public const int FileBytesMax = 1024 * 1024;

    /// <summary>Steps accepted in one script.</summary>
    public const int StepsMax = 10_000;

    /// <summary>The steps, in order.</summary>
    public List<PosScriptStep> Steps { get; set; } = [];

    /// <summary>Reads and checks a script; throws <see cref="ArgumentException"/> naming the file and the line and column or the step.</summary>
    public static PosScript Load(string path)
    {
        var script = SimJson.Load<PosScript>(path, "script", FileBytesMax);
        script.Validate(path);
        return script;
    }

    private void Validate(string path)
    {
        if (Steps.Count is 0 or > StepsMax) throw new ArgumentException($"script {path}: steps: 1 to {StepsMax} steps");
        bool sent = false;
        for (int i = 0; i < Steps.Count; i++)
        {
            var s = Steps[i] ?? throw new ArgumentException($"script {path}: steps[{i}]: must not be null");
            string at = $"script {path}: steps[{i}]";
            if (s.Action is not ("send" or "duplicate" or "reverse-last")) throw new ArgumentException($"{at}.action: '{s.Action}' is not one of send, duplicate, reverse-last");
            if (s.Action == "send" && s.Card is null) throw new ArgumentException($"{at}.card: a send step needs a card");
            if (s.Action != "send" && !sent) throw new ArgumentException($"{at}.action: {s.Action} needs a send step before it");
            sent |= s.Action == "send";
            if (s.Fault is not (null or "bad-mac" or "no-mac" or "wrong-pin")) throw new ArgumentException($"{at}.fault: '{s.Fault}' is not one of bad-mac, no-mac, wrong-pin");
            if (s.Expect is not null && s.Expect.Length != 2) throw new ArgumentException($"{at}.expect: a response code is two characters");
            if (s.Action == "reverse-last" && s.Mti is not (null or "0400" or "0401" or "0420" or "0421")) throw new ArgumentException($"{at}.mti: a reversal is 0400, 0401, 0420 or 0421");
            if (s.Card is not null)
            {
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
    }

    /// <summary>The transaction of a send step.</summary>
    public static PosTransaction Transaction(PosScriptStep step) => new()
    {
        Card = CardProfile.Resolve(step.Card!),
        AmountMinor = step.AmountMinor,
        Mti = step.Mti ?? "0200",
        ProcessingCode = step.ProcessingCode,
        Pin = step.Pin,
        NoPin = step.NoPin,
        Fault = step.Fault switch
        {
            "bad-mac" => PosFault.BadMac,
            "no-mac" => PosFault.NoMac,
            "wrong-pin" => PosFault.WrongPin,
            _ => PosFault.None,
        },
    };

    /// <summary>
    /// Runs the steps in order on the terminal, handing each exchange to <paramref name="onExchange"/>; stops at the first
    /// step without an answer or with an unexpected DE 39 and returns its error (null when every step passed).
    /// </summary>
    public async Task<string?> RunAsync(PosTerminal pos, Action<PosExchange> onExchange, CancellationToken ct)
    {
        for (int i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            PosExchange x = step.Action switch
            {
                "duplicate" => await pos.RepeatLastAsync(ct).ConfigureAwait(false),
                "reverse-last" => await pos.ReverseLastAsync(step.PartialMinor, step.Mti ?? "0400", ct).ConfigureAwait(false),
                _ => await pos.SendAsync(Transaction(step), ct).ConfigureAwait(false),
            };
            onExchange(x);
            if (x.Error is not null) return $"step {i + 1} ({x.Kind}): {x.Error}";
            if (step.Expect is not null && step.Expect != x.ResponseCode) return $"step {i + 1} ({x.Kind}): expected DE39 {step.Expect}, got {x.ResponseCode ?? "none"}";
        }
        return null;
    }
}
