using Switch.Iso8583.Message;

namespace Switch.Iso20022.Translation;

/// <summary>DE 90 (original data elements) ⇄ the original's group information, shared by camt.056 and pacs.004.</summary>
internal static class OriginalData
{
    /// <summary>DE 90: original MTI 0200, original STAN, original DE 7, original acquirer (11) and forwarding institution (11 zeros).</summary>
    public static string De90(Func<string, string?> get, string tx, string? acquirer)
    {
        string stan = StatusReportMapping.OriginalStan(get(tx + "/OrgnlInstrId"), get(tx + "/OrgnlGrpInf/OrgnlMsgId"));
        string de7 = Convert8583.ToDe7(get(tx + "/OrgnlGrpInf/OrgnlCreDtTm"))
            ?? (Convert8583.TryParseMessageId(get(tx + "/OrgnlGrpInf/OrgnlMsgId"), out string d7, out _) ? d7 : "0000000000");
        return "0200" + stan + de7 + Convert8583.Pad(acquirer ?? "0", 11) + new string('0', 11);
    }

    /// <summary>The original's ids from DE 90 (when the carried ones do not already give it).</summary>
    public static void Put(Values v, string tx, string? de90)
    {
        if (de90 is not { Length: 42 }) return;
        string stan = de90[4..10], de7 = de90[10..20];
        v[tx + "/OrgnlGrpInf/OrgnlMsgId"] = Convert8583.MessageId(de7, stan);
        v[tx + "/OrgnlInstrId"] = stan;
        if (de7 != "0000000000" && Convert8583.FromDe7(de7) is { } created) v[tx + "/OrgnlGrpInf/OrgnlCreDtTm"] = created;
        else v.Remove(tx + "/OrgnlGrpInf/OrgnlCreDtTm");
    }

    /// <summary>The reversal's own DE 11: from a derived id, else digits derived from the id.</summary>
    public static string Stan(string? id) =>
        Convert8583.TryParseMessageId(id, out _, out string de11) ? de11 : Convert8583.DerivedDigits(id ?? "", 6);

    /// <summary>The paths of the original's identification under a transaction, in schema order.</summary>
    public static IEnumerable<string> Paths(string tx) =>
    [
        tx + "/OrgnlGrpInf/OrgnlMsgId", tx + "/OrgnlGrpInf/OrgnlMsgNmId", tx + "/OrgnlGrpInf/OrgnlCreDtTm",
        tx + "/OrgnlInstrId", tx + "/OrgnlEndToEndId", tx + "/OrgnlTxId", tx + "/OrgnlUETR",
    ];

    public static IEnumerable<(string, string)> Tags(string tx) =>
    [
        ("OM", tx + "/OrgnlGrpInf/OrgnlMsgId"), ("ON", tx + "/OrgnlGrpInf/OrgnlMsgNmId"), ("OC", tx + "/OrgnlGrpInf/OrgnlCreDtTm"),
        ("OI", tx + "/OrgnlInstrId"), ("OE", tx + "/OrgnlEndToEndId"), ("OT", tx + "/OrgnlTxId"), ("OU", tx + "/OrgnlUETR"),
    ];
}

/// <summary>camt.056 FI-to-FI payment cancellation request ⇄ 0420 reversal advice.</summary>
internal sealed class CancellationMapping : Mapping
{
    private const string Tx = "Undrlyg/TxInf";
    private const string Assigner = "Assgnmt/Assgnr/Agt";
    private const string Assignee = "Assgnmt/Assgne/Agt";
    private const string Amount = Tx + "/OrgnlIntrBkSttlmAmt";

    public override string Type => "camt.056";
    public override string DefaultName => "camt.056.001.08";
    public override string Root => "FIToFIPmtCxlReq";
    public override string Mti => "0420";
    public override string ExtensionPath => "SplmtryData/Envlp";
    public override string? TransactionPath => Tx + "/OrgnlGrpInf/OrgnlMsgId";

    public override IReadOnlyList<string> Template { get; } =
    [
        "Assgnmt/Id", .. Parts.Agent(Assigner), .. Parts.Agent(Assignee), "Assgnmt/CreDtTm",
        "Case/Id", .. Parts.Agent("Case/Cretr/Agt"),
        Tx + "/CxlId", .. OriginalData.Paths(Tx), Amount, Tx + "/OrgnlIntrBkSttlmDt",
        Tx + "/CxlRsnInf/Rsn/Cd", Tx + "/CxlRsnInf/Rsn/Prtry", Tx + "/CxlRsnInf/AddtlInf",
        "SplmtryData/Envlp",
    ];

    public override IReadOnlyList<(string Tag, string Path)> Carried { get; } =
    [
        ("AI", "Assgnmt/Id"), ("XA", Amount), ("XC", Amount + "/@Ccy"), .. Parts.AgentTags('G', Assigner), .. Parts.AgentTags('H', Assignee), ("CT", "Assgnmt/CreDtTm"),
        ("KI", "Case/Id"), .. Parts.AgentTags('K', "Case/Cretr/Agt"), ("XI", Tx + "/CxlId"), .. OriginalData.Tags(Tx),
        ("SD", Tx + "/OrgnlIntrBkSttlmDt"), ("RC", Tx + "/CxlRsnInf/Rsn/Cd"), ("RP", Tx + "/CxlRsnInf/Rsn/Prtry"), ("RI", Tx + "/CxlRsnInf/AddtlInf"),
    ];

    public override void ToIso8583(Func<string, string?> get, IsoMessage m)
    {
        if (get(Amount) is { } amount)
        {
            var currency = Convert8583.CurrencyOfAlpha(get(Amount + "/@Ccy"), "OrgnlIntrBkSttlmAmt");
            m.Set(4, Convert8583.ToMinorUnits(amount, currency.Decimals, "OrgnlIntrBkSttlmAmt"));
            m.Set(49, currency.Numeric);
        }
        if (Convert8583.ToDe7(get("Assgnmt/CreDtTm")) is { } de7) m.Set(7, de7);
        m.Set(11, OriginalData.Stan(get("Assgnmt/Id")));
        string? acquirer = Parts.InstitutionId(get, Assigner);
        if (acquirer is not null) m.Set(32, acquirer);
        m.Set(37, Convert8583.ToRrn(get(Tx + "/OrgnlTxId")) ?? Convert8583.DerivedDigits(get(Tx + "/OrgnlEndToEndId") ?? "", 12));
        m.Set(39, StatusCodes.De39OfReversalReason(get(Tx + "/CxlRsnInf/Rsn/Cd")));
        m.Set(90, OriginalData.De90(get, Tx, acquirer));
        if (Parts.InstitutionId(get, Assignee) is { } receiver) m.Set(100, receiver);
    }

    public override void Defaults(IsoMessage m, Values v)
    {
        v.Put("Assgnmt/Id", Convert8583.MessageId(m[7], m[11]));
        v.Put(Tx + "/OrgnlGrpInf/OrgnlMsgId", Convert8583.NotProvided);
        v.Put(Tx + "/OrgnlGrpInf/OrgnlMsgNmId", "pacs.008.001.08");
    }

    public override void FromIso8583(IsoMessage m, IsoMessage probe, Values v)
    {
        Shared.PutCreated(v, "Assgnmt/CreDtTm", m, probe);
        Shared.PutAmount(v, Amount, m, probe);
        if (m[11] is { } stan && probe[11] != stan) v["Assgnmt/Id"] = Convert8583.MessageId(m[7], stan);
        if (m[37] is { } rrn && probe[37] != rrn) v[Tx + "/OrgnlTxId"] = rrn.TrimEnd();
        if (m[39] is { } de39 && probe[39] != de39)
        {
            v.Remove(Tx + "/CxlRsnInf/Rsn/Prtry");
            v[Tx + "/CxlRsnInf/Rsn/Cd"] = StatusCodes.ReversalReasonOf(de39);
        }
        if (probe[90] != m[90]) OriginalData.Put(v, Tx, m[90]);
        if (probe[32] != m[32]) Parts.PutInstitution(v, Assigner, m[32]);
        if (probe[100] != m[100]) Parts.PutInstitution(v, Assignee, m[100]);
        Parts.RequireAgent(v, Assigner);
        Parts.RequireAgent(v, Assignee);
        if (v.ContainsKey("Case/Id")) Parts.RequireAgent(v, "Case/Cretr/Agt");
    }
}

/// <summary>pacs.004 payment return ⇄ 0420 reversal advice (chosen when DE 48 names a pacs.004).</summary>
internal sealed class ReturnMapping : Mapping
{
    private const string Tx = "TxInf";
    private const string Amount = Tx + "/RtrdIntrBkSttlmAmt";

    public override string Type => "pacs.004";
    public override string DefaultName => "pacs.004.001.09";
    public override string Root => "PmtRtr";
    public override string Mti => "0420";
    public override string ExtensionPath => "SplmtryData/Envlp";
    public override string? TransactionPath => Amount;

    public override IReadOnlyList<string> Template { get; } =
    [
        "GrpHdr/MsgId", "GrpHdr/CreDtTm", "GrpHdr/NbOfTxs", "GrpHdr/SttlmInf/SttlmMtd", "GrpHdr/SttlmInf/ClrSys/Cd",
        Tx + "/RtrId", .. OriginalData.Paths(Tx), Tx + "/OrgnlIntrBkSttlmAmt", Tx + "/OrgnlIntrBkSttlmDt", Amount, Tx + "/IntrBkSttlmDt",
        Tx + "/ChrgBr", .. Parts.Agent(Tx + "/InstgAgt"), .. Parts.Agent(Tx + "/InstdAgt"),
        Tx + "/RtrChain/Dbtr/Pty/Nm", Tx + "/RtrChain/Cdtr/Pty/Nm",
        Tx + "/RtrRsnInf/Rsn/Cd", Tx + "/RtrRsnInf/Rsn/Prtry", Tx + "/RtrRsnInf/AddtlInf",
        "SplmtryData/Envlp",
    ];

    public override IReadOnlyList<(string Tag, string Path)> Carried { get; } =
    [
        ("MI", "GrpHdr/MsgId"), ("CT", "GrpHdr/CreDtTm"), ("XA", Amount), ("XC", Amount + "/@Ccy"), ("SM", "GrpHdr/SttlmInf/SttlmMtd"), ("SC", "GrpHdr/SttlmInf/ClrSys/Cd"),
        ("RI", Tx + "/RtrId"), .. OriginalData.Tags(Tx), ("OA", Tx + "/OrgnlIntrBkSttlmAmt"), ("OY", Tx + "/OrgnlIntrBkSttlmAmt/@Ccy"),
        ("OD", Tx + "/OrgnlIntrBkSttlmDt"), ("SD", Tx + "/IntrBkSttlmDt"), ("CB", Tx + "/ChrgBr"),
        .. Parts.AgentTags('G', Tx + "/InstgAgt"), .. Parts.AgentTags('H', Tx + "/InstdAgt"),
        ("DN", Tx + "/RtrChain/Dbtr/Pty/Nm"), ("CN", Tx + "/RtrChain/Cdtr/Pty/Nm"),
        ("RC", Tx + "/RtrRsnInf/Rsn/Cd"), ("RP", Tx + "/RtrRsnInf/Rsn/Prtry"), ("RA", Tx + "/RtrRsnInf/AddtlInf"),
    ];

    public override void ToIso8583(Func<string, string?> get, IsoMessage m)
    {
        if (get(Amount) is { } amount)
        {
            var currency = Convert8583.CurrencyOfAlpha(get(Amount + "/@Ccy"), "RtrdIntrBkSttlmAmt");
            m.Set(4, Convert8583.ToMinorUnits(amount, currency.Decimals, "RtrdIntrBkSttlmAmt"));
            m.Set(49, currency.Numeric);
        }
        if (Convert8583.ToDe7(get("GrpHdr/CreDtTm")) is { } de7) m.Set(7, de7);
        m.Set(11, OriginalData.Stan(get("GrpHdr/MsgId")));
        string? acquirer = Parts.InstitutionId(get, Tx + "/InstgAgt");
        if (acquirer is not null) m.Set(32, acquirer);
        m.Set(37, Convert8583.ToRrn(get(Tx + "/OrgnlTxId")) ?? Convert8583.DerivedDigits(get(Tx + "/OrgnlEndToEndId") ?? "", 12));
        m.Set(39, StatusCodes.De39OfReversalReason(get(Tx + "/RtrRsnInf/Rsn/Cd")));
        m.Set(90, OriginalData.De90(get, Tx, acquirer));
        if (Parts.InstitutionId(get, Tx + "/InstdAgt") is { } receiver) m.Set(100, receiver);
    }

    public override void Defaults(IsoMessage m, Values v)
    {
        v.Put("GrpHdr/MsgId", Convert8583.MessageId(m[7], m[11]));
        v.Put("GrpHdr/SttlmInf/SttlmMtd", "CLRG");
        v.Put(Tx + "/OrgnlGrpInf/OrgnlMsgId", Convert8583.NotProvided);
        v.Put(Tx + "/OrgnlGrpInf/OrgnlMsgNmId", "pacs.008.001.08");
    }

    public override void FromIso8583(IsoMessage m, IsoMessage probe, Values v)
    {
        v["GrpHdr/NbOfTxs"] = "1";
        Shared.PutCreated(v, "GrpHdr/CreDtTm", m, probe);
        if (!Shared.PutAmount(v, Amount, m, probe)) throw new Iso20022TranslationException("DE 4 (amount) is required for a pacs.004.");
        if (m[11] is { } stan && probe[11] != stan) v["GrpHdr/MsgId"] = Convert8583.MessageId(m[7], stan);
        if (m[37] is { } rrn && probe[37] != rrn) v[Tx + "/OrgnlTxId"] = rrn.TrimEnd();
        if (m[39] is { } de39 && probe[39] != de39)
        {
            v.Remove(Tx + "/RtrRsnInf/Rsn/Prtry");
            v[Tx + "/RtrRsnInf/Rsn/Cd"] = StatusCodes.ReversalReasonOf(de39);
        }
        if (probe[90] != m[90]) OriginalData.Put(v, Tx, m[90]);
        if (probe[32] != m[32]) Parts.PutInstitution(v, Tx + "/InstgAgt", m[32]);
        if (probe[100] != m[100]) Parts.PutInstitution(v, Tx + "/InstdAgt", m[100]);
        // The return chain needs both parties or neither.
        if (v.ContainsKey(Tx + "/RtrChain/Dbtr/Pty/Nm") != v.ContainsKey(Tx + "/RtrChain/Cdtr/Pty/Nm"))
        {
            v.Put(Tx + "/RtrChain/Dbtr/Pty/Nm", Convert8583.NotProvided);
            v.Put(Tx + "/RtrChain/Cdtr/Pty/Nm", Convert8583.NotProvided);
        }
    }
}
