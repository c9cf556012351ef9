using Switch.Iso8583.Message;

namespace Switch.Iso20022.Translation;

/// <summary>pacs.008 FI-to-FI customer credit transfer ⇄ 0200 financial request.</summary>
internal sealed class CreditTransferMapping : Mapping
{
    private const string Tx = "CdtTrfTxInf";
    private const string Amount = Tx + "/IntrBkSttlmAmt";

    public override string Type => "pacs.008";
    public override string DefaultName => "pacs.008.001.08";
    public override string Root => "FIToFICstmrCdtTrf";
    public override string Mti => "0200";
    public override string ExtensionPath => "SplmtryData/Envlp";
    public override string? TransactionPath => Tx + "/PmtId/EndToEndId";

    public override IReadOnlyList<string> Template { get; } =
    [
        "GrpHdr/MsgId", "GrpHdr/CreDtTm", "GrpHdr/NbOfTxs", "GrpHdr/SttlmInf/SttlmMtd", "GrpHdr/SttlmInf/ClrSys/Cd",
        Tx + "/PmtId/InstrId", Tx + "/PmtId/EndToEndId", Tx + "/PmtId/TxId", Tx + "/PmtId/UETR",
        Tx + "/PmtTpInf/LclInstrm/Prtry", Tx + "/PmtTpInf/CtgyPurp/Prtry",
        Amount, Tx + "/IntrBkSttlmDt", Tx + "/AccptncDtTm", Tx + "/ChrgBr",
        .. Parts.Agent(Tx + "/InstgAgt"), .. Parts.Agent(Tx + "/InstdAgt"),
        Tx + "/Dbtr/Nm", .. Parts.Account(Tx + "/DbtrAcct"), .. Parts.Agent(Tx + "/DbtrAgt"),
        .. Parts.Agent(Tx + "/CdtrAgt"), Tx + "/Cdtr/Nm", .. Parts.Account(Tx + "/CdtrAcct"),
        Tx + "/RmtInf/Ustrd",
        "SplmtryData/Envlp",
    ];

    public override IReadOnlyList<(string Tag, string Path)> Carried { get; } =
    [
        ("MI", "GrpHdr/MsgId"), ("CT", "GrpHdr/CreDtTm"), ("XA", Amount), ("XC", Amount + "/@Ccy"), ("SM", "GrpHdr/SttlmInf/SttlmMtd"), ("SC", "GrpHdr/SttlmInf/ClrSys/Cd"),
        ("II", Tx + "/PmtId/InstrId"), ("EE", Tx + "/PmtId/EndToEndId"), ("TI", Tx + "/PmtId/TxId"), ("UT", Tx + "/PmtId/UETR"),
        ("LI", Tx + "/PmtTpInf/LclInstrm/Prtry"), ("CP", Tx + "/PmtTpInf/CtgyPurp/Prtry"),
        ("SD", Tx + "/IntrBkSttlmDt"), ("AT", Tx + "/AccptncDtTm"), ("CB", Tx + "/ChrgBr"),
        .. Parts.AgentTags('G', Tx + "/InstgAgt"), .. Parts.AgentTags('H', Tx + "/InstdAgt"),
        ("DN", Tx + "/Dbtr/Nm"), ("DI", Tx + "/DbtrAcct/Id/IBAN"), ("DO", Tx + "/DbtrAcct/Id/Othr/Id"),
        .. Parts.AgentTags('A', Tx + "/DbtrAgt"), .. Parts.AgentTags('B', Tx + "/CdtrAgt"),
        ("CN", Tx + "/Cdtr/Nm"), ("CI", Tx + "/CdtrAcct/Id/IBAN"), ("CO", Tx + "/CdtrAcct/Id/Othr/Id"),
        ("RU", Tx + "/RmtInf/Ustrd"),
    ];

    public override void ToIso8583(Func<string, string?> get, IsoMessage m)
    {
        m.Set(3, "400000");
        // A probe of values still being built may lack the amount; a validated document always has it.
        if (get(Amount) is { } amount)
        {
            var currency = Convert8583.CurrencyOfAlpha(get(Amount + "/@Ccy"), "IntrBkSttlmAmt");
            m.Set(4, Convert8583.ToMinorUnits(amount, currency.Decimals, "IntrBkSttlmAmt"));
            m.Set(49, currency.Numeric);
        }
        if (Convert8583.ToDe7(get("GrpHdr/CreDtTm")) is { } de7) m.Set(7, de7);
        string? instr = get(Tx + "/PmtId/InstrId");
        m.Set(11, Convert8583.IsDigits(instr, 6) ? Convert8583.Pad(instr!, 6) : Convert8583.DerivedDigits(get("GrpHdr/MsgId") ?? "", 6));
        if (get(Tx + "/AccptncDtTm") is { } accepted)
        {
            var local = Convert8583.ParseDateTime(accepted);
            m.Set(12, local.ToString("HHmmss", System.Globalization.CultureInfo.InvariantCulture));
            m.Set(13, local.ToString("MMdd", System.Globalization.CultureInfo.InvariantCulture));
        }
        if ((Parts.InstitutionId(get, Tx + "/InstgAgt") ?? Parts.InstitutionId(get, Tx + "/DbtrAgt")) is { } acquirer) m.Set(32, acquirer);
        m.Set(37, Convert8583.ToRrn(get(Tx + "/PmtId/TxId")) ?? Convert8583.DerivedDigits(get(Tx + "/PmtId/EndToEndId") ?? "", 12));
        if ((Parts.InstitutionId(get, Tx + "/InstdAgt") ?? Parts.InstitutionId(get, Tx + "/CdtrAgt")) is { } receiver) m.Set(100, receiver);
        if (Parts.AccountId(get, Tx + "/DbtrAcct") is { } from) m.Set(102, from);
        if (Parts.AccountId(get, Tx + "/CdtrAcct") is { } to) m.Set(103, to);
    }

    public override void Defaults(IsoMessage m, Values v)
    {
        v.Put("GrpHdr/MsgId", Convert8583.MessageId(m[7], m[11]));
        v.Put("GrpHdr/SttlmInf/SttlmMtd", "CLRG");
        v.Put(Tx + "/PmtId/EndToEndId", Convert8583.NotProvided);
        v.Put(Tx + "/ChrgBr", "SLEV");
        v.Put(Tx + "/Dbtr/Nm", Convert8583.NotProvided);
        v.Put(Tx + "/Cdtr/Nm", Convert8583.NotProvided);
    }

    public override void FromIso8583(IsoMessage m, IsoMessage probe, Values v)
    {
        v["GrpHdr/NbOfTxs"] = "1";
        if (!Shared.PutAmount(v, Amount, m, probe)) throw new Iso20022TranslationException("DE 4 (amount) is required for a pacs.008.");
        Shared.PutCreated(v, "GrpHdr/CreDtTm", m, probe);
        if (m[11] is { } stan && probe[11] != stan) v[Tx + "/PmtId/InstrId"] = stan;
        if ((probe[12] != m[12] || probe[13] != m[13]) && Convert8583.LocalDateTime(m[12], m[13]) is { } local) v[Tx + "/AccptncDtTm"] = local;
        if (m[37] is { } rrn && probe[37] != rrn) v[Tx + "/PmtId/TxId"] = rrn.TrimEnd();
        if (probe[32] != m[32]) Shared.PutInstitutions(v, m[32], Tx + "/DbtrAgt", Tx + "/InstgAgt");
        if (probe[100] != m[100]) Shared.PutInstitutions(v, m[100], Tx + "/CdtrAgt", Tx + "/InstdAgt");
        if (probe[102] != m[102]) Parts.PutAccount(v, Tx + "/DbtrAcct", m[102]);
        if (probe[103] != m[103]) Parts.PutAccount(v, Tx + "/CdtrAcct", m[103]);
        Parts.RequireAgent(v, Tx + "/DbtrAgt");
        Parts.RequireAgent(v, Tx + "/CdtrAgt");
    }
}
