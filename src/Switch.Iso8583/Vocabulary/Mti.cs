namespace Switch.Iso8583.Vocabulary;

/// <summary>ISO 8583 message class: the MTI's second digit.</summary>
public enum MtiClass
{
    /// <summary>x1xx authorization.</summary>
    Authorization = 1,
    /// <summary>x2xx financial presentment.</summary>
    Financial = 2,
    /// <summary>x3xx file action.</summary>
    FileAction = 3,
    /// <summary>x4xx reversal or chargeback.</summary>
    Reversal = 4,
    /// <summary>x5xx reconciliation.</summary>
    Reconciliation = 5,
    /// <summary>x6xx administrative.</summary>
    Administrative = 6,
    /// <summary>x7xx fee collection.</summary>
    FeeCollection = 7,
    /// <summary>x8xx network management.</summary>
    NetworkManagement = 8,
}

/// <summary>ISO 8583 message function: the MTI's third digit.</summary>
public enum MtiFunction
{
    /// <summary>xx0x request.</summary>
    Request = 0,
    /// <summary>xx1x request response.</summary>
    RequestResponse = 1,
    /// <summary>xx2x advice.</summary>
    Advice = 2,
    /// <summary>xx3x advice response.</summary>
    AdviceResponse = 3,
    /// <summary>xx4x notification.</summary>
    Notification = 4,
    /// <summary>xx5x notification acknowledgement (1993 and later).</summary>
    NotificationAcknowledgement = 5,
    /// <summary>xx6x instruction (2003).</summary>
    Instruction = 6,
    /// <summary>xx7x instruction acknowledgement (2003).</summary>
    InstructionAcknowledgement = 7,
}

/// <summary>ISO 8583 message origin: the MTI's fourth digit (odd digits are repeats).</summary>
public enum MtiOrigin
{
    /// <summary>xxx0 acquirer.</summary>
    Acquirer = 0,
    /// <summary>xxx1 acquirer repeat.</summary>
    AcquirerRepeat = 1,
    /// <summary>xxx2 issuer.</summary>
    Issuer = 2,
    /// <summary>xxx3 issuer repeat.</summary>
    IssuerRepeat = 3,
    /// <summary>xxx4 other.</summary>
    Other = 4,
    /// <summary>xxx5 other repeat.</summary>
    OtherRepeat = 5,
}

/// <summary>
/// MTI arithmetic shared by the network layer and the pipeline: parts of an MTI, whether it expects an answer, and
/// the answer's MTI. A response matches its request whatever the request's repeat digit (0421 → 0430), as jPOS's
/// ISOMsg.setResponseMTI does: the answer's origin is the request's with the repeat flag cleared.
/// </summary>
public static class Mti
{
    /// <summary>True for four decimal digits.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> mti) => mti.Length == 4 && !mti.ContainsAnyExceptInRange('0', '9');

    /// <summary>The ISO 8583 version digit: 0 for 1987, 1 for 1993, 2 for 2003.</summary>
    public static int Version(ReadOnlySpan<char> mti) => Digit(mti, 0);

    /// <summary>The message class.</summary>
    public static MtiClass Class(ReadOnlySpan<char> mti) => (MtiClass)Digit(mti, 1);

    /// <summary>The message function.</summary>
    public static MtiFunction Function(ReadOnlySpan<char> mti) => (MtiFunction)Digit(mti, 2);

    /// <summary>The message origin.</summary>
    public static MtiOrigin Origin(ReadOnlySpan<char> mti) => (MtiOrigin)Digit(mti, 3);

    /// <summary>True when the origin digit marks a repeat (xxx1, xxx3, xxx5).</summary>
    public static bool IsRepeat(ReadOnlySpan<char> mti) => IsWellFormed(mti) && (mti[3] - '0') % 2 == 1 && mti[3] <= '5';

    /// <summary>
    /// True for an MTI that expects an answer: a request or an advice (x0xx, x2xx), and from the 1993 version on also a
    /// notification or an instruction (which are acknowledged). A 1987 notification expects none.
    /// </summary>
    public static bool ExpectsResponse(ReadOnlySpan<char> mti)
    {
        if (!IsWellFormed(mti)) return false;
        return mti[2] switch
        {
            '0' or '2' => true,
            '4' or '6' => mti[0] != '0',
            _ => false,
        };
    }

    /// <summary>True for a response or acknowledgement (odd function digit: xx1x, xx3x, xx5x, xx7x).</summary>
    public static bool IsResponse(ReadOnlySpan<char> mti) => IsWellFormed(mti) && mti[2] is '1' or '3' or '5' or '7';

    /// <summary>
    /// The MTI of the answer to <paramref name="mti"/>: function + 1 and the repeat flag cleared (0200 → 0210,
    /// 0201 → 0210, 0421 → 0430, 0221 → 0230, 0800 → 0810); null when the MTI expects no answer.
    /// </summary>
    public static string? ResponseOf(string? mti)
    {
        if (mti is null || !ExpectsResponse(mti)) return null;
        return string.Create(4, mti, static (span, m) =>
        {
            m.AsSpan().CopyTo(span);
            WriteResponse(span);
        });
    }

    /// <summary>
    /// Writes the answer's MTI over a request MTI in place (the MUX builds keys this way without a string); false when
    /// the MTI expects no answer (the span is then unchanged).
    /// </summary>
    public static bool TryWriteResponseOf(Span<char> mti)
    {
        if (!ExpectsResponse(mti)) return false;
        WriteResponse(mti);
        return true;
    }

    private static void WriteResponse(Span<char> mti)
    {
        mti[2] = (char)(mti[2] + 1);
        // Repeat origins (1, 3, 5) answer as their first transmission (0, 2, 4).
        if (mti[3] is '1' or '3' or '5') mti[3] = (char)(mti[3] - 1);
    }

    private static int Digit(ReadOnlySpan<char> mti, int index)
    {
        if (!IsWellFormed(mti)) throw new ArgumentException($"'{mti}' is not a four-digit MTI", nameof(mti));
        return mti[index] - '0';
    }
}
