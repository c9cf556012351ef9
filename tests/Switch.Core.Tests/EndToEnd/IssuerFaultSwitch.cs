using Switch.Simulators.Card;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// A `switch run` whose issuer simulator misbehaves on chosen amounts of the demo remote card (each rule once):
/// <see cref="DropAmount"/> is never answered and neither is its first 0420; <see cref="DisconnectAmount"/> makes the
/// issuer close the connection after reading it; <see cref="LateAmount"/> is approved after <see cref="LateByMs"/>, past
/// the connector's timeout and inside its late window (twice the timeout), so the MUX knows it for a late reply.
/// </summary>
public class IssuerFaultSwitch : FastSwitchProcess
{
    public const long DropAmount = 4_200;
    public const long DisconnectAmount = 4_300;
    public const long LateAmount = 1_500;
    public const int LateByMs = 2_500;

    protected override IssuerSimulatorOptions IssuerOptions() => new()
    {
        Port = 0,
        Rules = new IssuerRules
        {
            Misbehaviours =
            [
                new MisbehaviourRule { Action = "drop", Mti = "0200", AmountMinor = DropAmount, Next = 1 },
                new MisbehaviourRule { Action = "drop", Mti = "0420", AmountMinor = DropAmount, AnyMessage = true, Next = 1 },
                new MisbehaviourRule { Action = "disconnect", Mti = "0200", AmountMinor = DisconnectAmount, Next = 1 },
                new MisbehaviourRule { Action = "late", Mti = "0200", AmountMinor = LateAmount, DelayMs = LateByMs, Next = 1 },
            ],
        },
    };
}
