using System.Globalization;

namespace Switch.Iso20022.Translation;

/// <summary>
/// The pacs.002.001.10 status reports the switch answers with itself: a transaction's status for a payment it routed
/// (accepted, or rejected with a reason: no route, timeout, the issuer's decline), and a group rejection for a frame it
/// could not read (FF01 with the first error). Each is validated against its schema before it is returned.
/// </summary>
public static class StatusReports
{
    /// <summary>The version written.</summary>
    public const string MessageName = "pacs.002.001.10";

    /// <summary>Longest AddtlInf (Max105Text).</summary>
    public const int AdditionalInfoCharsMax = 105;

    private const string Tx = "TxInfAndSts";
    private const string Group = "OrgnlGrpInfAndSts";

    private static readonly string[] GroupTemplate =
    [
        "GrpHdr/MsgId", "GrpHdr/CreDtTm",
        Group + "/OrgnlMsgId", Group + "/OrgnlMsgNmId", Group + "/GrpSts", Group + "/StsRsnInf/Rsn/Cd", Group + "/StsRsnInf/AddtlInf",
    ];

    /// <summary>
    /// The status of the first transaction of <paramref name="original"/> (a pacs.008 or pacs.009): its ids, amount
    /// and agents (the original's instructed agent is the report's instructing agent), the status, the reason code and
    /// text when given, and <paramref name="accountServicerReference"/> (e.g. the issuer's DE 38).
    /// </summary>
    public static byte[] ForTransaction(Iso20022Document original, string status, string? reason, string? additionalInfo,
        string? accountServicerReference, DateTimeOffset now, Iso20022Reader? reader = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(status);
        var view = PaymentView.Of(original);
        var values = new Values();
        values.Put("GrpHdr/MsgId", NewMessageId(now));
        values.Put("GrpHdr/CreDtTm", Created(now));
        values.Put(Tx + "/OrgnlGrpInf/OrgnlMsgId", view.MessageId ?? Convert8583.NotProvided);
        values.Put(Tx + "/OrgnlGrpInf/OrgnlMsgNmId", original.MessageName);
        values.Put(Tx + "/OrgnlGrpInf/OrgnlCreDtTm", original.Value("GrpHdr/CreDtTm"));
        values.Put(Tx + "/OrgnlInstrId", view.InstructionId);
        values.Put(Tx + "/OrgnlEndToEndId", view.EndToEndId);
        values.Put(Tx + "/OrgnlTxId", view.TransactionId);
        values.Put(Tx + "/OrgnlUETR", view.Uetr);
        values.Put(Tx + "/TxSts", status);
        values.Put(Tx + "/StsRsnInf/Rsn/Cd", reason);
        values.Put(Tx + "/StsRsnInf/AddtlInf", Cut(additionalInfo));
        if (accountServicerReference is { Length: > 0 and <= 35 }) values.Put(Tx + "/AcctSvcrRef", accountServicerReference);
        PutAgent(values, Tx + "/InstgAgt", view.InstructedAgent ?? view.CreditorAgent);
        PutAgent(values, Tx + "/InstdAgt", view.InstructingAgent ?? view.DebtorAgent);
        string? amountPath = original.Fields.FirstOrDefault(f => f.Path.EndsWith("/IntrBkSttlmAmt", StringComparison.Ordinal)).Path;
        if (amountPath is not null && original.Value(amountPath) is { } amount && original.Value(amountPath + "/@Ccy") is { } currency)
        {
            values.Put(Tx + "/OrgnlTxRef/IntrBkSttlmAmt", amount);
            values.Put(Tx + "/OrgnlTxRef/IntrBkSttlmAmt/@Ccy", currency);
        }
        values.Put(Tx + "/OrgnlTxRef/IntrBkSttlmDt", original.Fields.FirstOrDefault(f => f.Path.EndsWith("/IntrBkSttlmDt", StringComparison.Ordinal)).Value);
        return Checked(PathWriter.Write(SchemaCatalog.NamespacePrefix + MessageName, "FIToFIPmtStsRpt", StatusTemplate, values, null, null), reader);
    }

    /// <summary>
    /// A rejection of a whole message (group status RJCT): for a frame that could not be read, or a message the switch
    /// does not route. <paramref name="originalMessageId"/> and <paramref name="originalMessageName"/> are what could be
    /// read (NOTPROVIDED otherwise).
    /// </summary>
    public static byte[] GroupRejection(string? originalMessageId, string? originalMessageName, string reason, string? additionalInfo,
        DateTimeOffset now, Iso20022Reader? reader = null)
    {
        var values = new Values();
        values.Put("GrpHdr/MsgId", NewMessageId(now));
        values.Put("GrpHdr/CreDtTm", Created(now));
        values.Put(Group + "/OrgnlMsgId", originalMessageId is { Length: > 0 and <= 35 } ? originalMessageId : Convert8583.NotProvided);
        values.Put(Group + "/OrgnlMsgNmId", originalMessageName is { Length: > 0 and <= 35 } ? originalMessageName : Convert8583.NotProvided);
        values.Put(Group + "/GrpSts", "RJCT");
        values.Put(Group + "/StsRsnInf/Rsn/Cd", reason);
        values.Put(Group + "/StsRsnInf/AddtlInf", Cut(additionalInfo));
        return Checked(PathWriter.Write(SchemaCatalog.NamespacePrefix + MessageName, "FIToFIPmtStsRpt", GroupTemplate, values, null, null), reader);
    }

    private static IReadOnlyList<string> StatusTemplate => s_statusTemplate ??= Iso8583Translator.Mappings.First(m => m.Type == "pacs.002").Template;

    private static IReadOnlyList<string>? s_statusTemplate;

    private static void PutAgent(Values values, string prefix, Agent? agent)
    {
        if (agent is null) return;
        if (agent.Bic is not null) values.Put(prefix + "/FinInstnId/BICFI", agent.Bic);
        if (agent.MemberId is not null)
        {
            values.Put(prefix + "/FinInstnId/ClrSysMmbId/ClrSysId/Cd", agent.ClearingSystem);
            values.Put(prefix + "/FinInstnId/ClrSysMmbId/MmbId", agent.MemberId);
        }
        if (agent.Bic is null && agent.MemberId is null) values.Put(prefix + "/FinInstnId/Nm", agent.Name);
    }

    /// <summary>A fresh message id: 32 hex digits (Max35Text).</summary>
    private static string NewMessageId(DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"SW{now.UtcDateTime:yyMMddHHmmss}{Guid.NewGuid():N}")[..35];

    private static string Created(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Text for AddtlInf: one line, XML-safe, at most 105 characters.</summary>
    private static string? Cut(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var chars = text.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? ' ' : c).ToArray();
        string line = new string(chars).Trim();
        return line.Length <= AdditionalInfoCharsMax ? line : line[..(AdditionalInfoCharsMax - 1)] + "…";
    }

    private static byte[] Checked(byte[] xml, Iso20022Reader? reader)
    {
        reader ??= Iso20022Reader.Default;
        if (!reader.TryRead(xml, out _, out var error))
            throw new Iso20022TranslationException($"the status report is not a valid {MessageName}: {error!.Errors[0].Message}");
        return xml;
    }
}
