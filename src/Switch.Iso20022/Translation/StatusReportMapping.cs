using Switch.Iso8583.Message;

namespace Switch.Iso20022.Translation;

/// <summary>pacs.002 FI-to-FI payment status report ⇄ 0210 financial response (DE 39 ⇄ status and reason).</summary>
internal sealed class StatusReportMapping : Mapping
{
    private const string Tx = "TxInfAndSts";
    private const string Amount = Tx + "/OrgnlTxRef/IntrBkSttlmAmt";

    public override string Type => "pacs.002";
    public override string DefaultName => "pacs.002.001.10";
    public override string Root => "FIToFIPmtStsRpt";
    public override string Mti => "0210";
    public override string ExtensionPath => "SplmtryData/Envlp";
    public override string? TransactionPath => Tx + "/TxSts";

    public override IReadOnlyList<string> Template { get; } =
    [
        "GrpHdr/MsgId", "GrpHdr/CreDtTm",
        Tx + "/OrgnlGrpInf/OrgnlMsgId", Tx + "/OrgnlGrpInf/OrgnlMsgNmId", Tx + "/OrgnlGrpInf/OrgnlCreDtTm",
        Tx + "/OrgnlInstrId", Tx + "/OrgnlEndToEndId", Tx + "/OrgnlTxId", Tx + "/OrgnlUETR", Tx + "/TxSts",
        Tx + "/StsRsnInf/Rsn/Cd", Tx + "/StsRsnInf/Rsn/Prtry", Tx + "/StsRsnInf/AddtlInf", Tx + "/AcctSvcrRef",
        .. Parts.Agent(Tx + "/InstgAgt"), .. Parts.Agent(Tx + "/InstdAgt"),
        Amount, Tx + "/OrgnlTxRef/IntrBkSttlmDt",
        "SplmtryData/Envlp",
    ];

    public override IReadOnlyList<(string Tag, string Path)> Carried { get; } =
    [
        ("MI", "GrpHdr/MsgId"), ("CT", "GrpHdr/CreDtTm"), ("XA", Amount), ("XC", Amount + "/@Ccy"), ("OM", Tx + "/OrgnlGrpInf/OrgnlMsgId"), ("ON", Tx + "/OrgnlGrpInf/OrgnlMsgNmId"),
        ("OC", Tx + "/OrgnlGrpInf/OrgnlCreDtTm"), ("OI", Tx + "/OrgnlInstrId"), ("OE", Tx + "/OrgnlEndToEndId"), ("OT", Tx + "/OrgnlTxId"),
        ("OU", Tx + "/OrgnlUETR"), ("TS", Tx + "/TxSts"), ("RC", Tx + "/StsRsnInf/Rsn/Cd"), ("RP", Tx + "/StsRsnInf/Rsn/Prtry"),
        ("AI", Tx + "/StsRsnInf/AddtlInf"), ("AR", Tx + "/AcctSvcrRef"),
        .. Parts.AgentTags('G', Tx + "/InstgAgt"), .. Parts.AgentTags('H', Tx + "/InstdAgt"), ("SD", Tx + "/OrgnlTxRef/IntrBkSttlmDt"),
    ];

    public override void ToIso8583(Func<string, string?> get, IsoMessage m)
    {
        if (get(Amount) is { } amount)
        {
            var currency = Convert8583.CurrencyOfAlpha(get(Amount + "/@Ccy"), "IntrBkSttlmAmt");
            m.Set(4, Convert8583.ToMinorUnits(amount, currency.Decimals, "IntrBkSttlmAmt"));
            m.Set(49, currency.Numeric);
        }
        if (Convert8583.ToDe7(get("GrpHdr/CreDtTm")) is { } de7) m.Set(7, de7);
        m.Set(11, OriginalStan(get(Tx + "/OrgnlInstrId"), get(Tx + "/OrgnlGrpInf/OrgnlMsgId")));
        if (Parts.InstitutionId(get, Tx + "/InstdAgt") is { } acquirer) m.Set(32, acquirer);
        m.Set(37, Convert8583.ToRrn(get(Tx + "/OrgnlTxId")) ?? Convert8583.DerivedDigits(get(Tx + "/OrgnlEndToEndId") ?? "", 12));
        if (get(Tx + "/AcctSvcrRef") is { Length: 6 } auth && auth.All(char.IsAsciiLetterOrDigit)) m.Set(38, auth);
        // A report of the whole group (no transaction status) answers with the group's status and reason.
        m.Set(39, StatusCodes.De39Of(get(Tx + "/TxSts") ?? get("OrgnlGrpInfAndSts/GrpSts"),
            get(Tx + "/StsRsnInf/Rsn/Cd") ?? get("OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd")));
        if (Parts.InstitutionId(get, Tx + "/InstgAgt") is { } responder) m.Set(100, responder);
    }

    /// <summary>DE 11 of the original: its instruction id when numeric, else what the credit transfer mapping derived.</summary>
    internal static string OriginalStan(string? instructionId, string? messageId)
    {
        if (Convert8583.IsDigits(instructionId, 6)) return Convert8583.Pad(instructionId!, 6);
        return Convert8583.DerivedDigits(messageId ?? "", 6);
    }

    public override void Defaults(IsoMessage m, Values v)
    {
        v.Put("GrpHdr/MsgId", Convert8583.MessageId(m[7], m[11]) + "-" + Mti);
        v.Put(Tx + "/OrgnlGrpInf/OrgnlMsgId", Convert8583.MessageId(m[7], m[11]));
        v.Put(Tx + "/OrgnlGrpInf/OrgnlMsgNmId", "pacs.008.001.08");
    }

    public override void FromIso8583(IsoMessage m, IsoMessage probe, Values v)
    {
        Shared.PutCreated(v, "GrpHdr/CreDtTm", m, probe);
        Shared.PutAmount(v, Amount, m, probe);
        if (m[11] is { } stan && probe[11] != stan) v[Tx + "/OrgnlInstrId"] = stan;
        if (m[37] is { } rrn && probe[37] != rrn) v[Tx + "/OrgnlTxId"] = rrn.TrimEnd();
        if (m[38] is { } auth && probe[38] != auth) v[Tx + "/AcctSvcrRef"] = auth;
        string de39 = m[39] ?? throw new Iso20022TranslationException("DE 39 (response code) is required for a pacs.002.");
        if (probe[39] != de39)
        {
            var (status, reason) = StatusCodes.StatusOf(de39);
            v[Tx + "/TxSts"] = status;
            v.Remove(Tx + "/StsRsnInf/Rsn/Prtry");
            if (reason is null) v.Remove(Tx + "/StsRsnInf/Rsn/Cd");
            else v[Tx + "/StsRsnInf/Rsn/Cd"] = reason;
        }
        if (probe[32] != m[32]) Parts.PutInstitution(v, Tx + "/InstdAgt", m[32]);
        if (probe[100] != m[100]) Parts.PutInstitution(v, Tx + "/InstgAgt", m[100]);
    }
}
