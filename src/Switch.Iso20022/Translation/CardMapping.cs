using System.Globalization;
using Switch.Iso8583.Message;

namespace Switch.Iso20022.Translation;

/// <summary>
/// The ATICA card family, built on ISO 8583 itself: cain.001/002 ⇄ 0100/0110 (authorisation) and cain.005/006 ⇄
/// 0400/0410 (reversal). Most fields map one to one; the MTI is the message type.
/// </summary>
internal sealed class CardMapping(string type, string root, string mti) : Mapping
{
    private static readonly (string Iso8583, string Mode)[] EntryModes =
        [("00", "UNSP"), ("01", "MLEY"), ("05", "ICPY"), ("07", "RFID"), ("90", "MGSP"), ("02", "MGSP"), ("91", "RFID"), ("81", "KEEN"), ("10", "CDFS"), ("03", "OPTC")];

    public override string Type => type;
    public override string DefaultName => type + ".001.05";
    public override string Root => root;
    public override string Mti => mti;
    public override string ExtensionPath => "PrvtData";

    private bool IsResponse => type is "cain.002" or "cain.006";
    private bool IsReversal => type is "cain.005" or "cain.006";

    public override IReadOnlyList<string> Template => _template ??= BuildTemplate();
    private IReadOnlyList<string>? _template;

    private List<string> BuildTemplate()
    {
        var t = new List<string> { "Hdr/MsgFctn", "Hdr/XchgId", "Hdr/CreDtTm", "TxChrtcs/TxTp", "Acqrr/Id", "Card/PAN", "Card/CardSeqNb", "Card/XpryDt",
            "TxId/LclDt", "TxId/LclTm", "TxId/TrnsmssnDtTm", "TxId/SysTracAudtNb", "TxId/RtrvlRefNb", "TxAmts/Amt", "TxAmts/Ccy" };
        if (IsReversal) t.AddRange(["OrgnlDataElmts/AcqrrId", "OrgnlDataElmts/SndrId", "OrgnlDataElmts/TxId/TrnsmssnDtTm", "OrgnlDataElmts/TxId/SysTracAudtNb"]);
        t.Add("Accptr/Id");
        if (!IsResponse) t.Add("Accptr/NmAndLctn");
        t.Add("Termnl/Id");
        if (type != "cain.006") t.Add("Cntxt/CardDataNtryMd");
        t.Add("Cntxt/MrchntCtgyCd");
        if (IsResponse) t.AddRange(["PrcgRslt/RspnCd", "PrcgRslt/ApprvlCd"]);
        t.Add("PrvtData");
        return t;
    }

    public override IReadOnlyList<(string Tag, string Path)> Carried { get; } =
    [
        ("MF", "Hdr/MsgFctn"), ("XI", "Hdr/XchgId"), ("HC", "Hdr/CreDtTm"), ("TT", "TxChrtcs/TxTp"), ("LD", "TxId/LclDt"), ("TD", "TxId/TrnsmssnDtTm"),
        ("OD", "OrgnlDataElmts/TxId/TrnsmssnDtTm"), ("AN", "Accptr/NmAndLctn"), ("AI", "Accptr/Id"), ("TI", "Termnl/Id"), ("DM", "Cntxt/CardDataNtryMd"),
    ];

    public override void ToIso8583(Func<string, string?> get, IsoMessage m)
    {
        if (get("Card/PAN") is { } pan) m.Set(2, pan);
        m.Set(3, (get("TxChrtcs/TxTp") ?? "00") + "0000");
        if (get("TxAmts/Amt") is { } amount && get("TxAmts/Ccy") is { } ccy)
        {
            var currency = Iso4217.FromNumeric(ccy) ?? throw new Iso20022TranslationException($"TxAmts/Ccy '{ccy}' is not an ISO 4217 numeric currency.");
            m.Set(4, Convert8583.ToMinorUnits(amount, currency.Decimals, "TxAmts/Amt"));
            m.Set(49, currency.Numeric);
        }
        if (Convert8583.ToDe7(get("TxId/TrnsmssnDtTm") ?? get("Hdr/CreDtTm")) is { } de7) m.Set(7, de7);
        if (get("TxId/SysTracAudtNb") is { } stan) m.Set(11, Convert8583.Pad(stan.Length > 6 ? stan[^6..] : stan, 6));
        if (Convert8583.ToDe12(get("TxId/LclTm")) is { } de12) m.Set(12, de12);
        if (Convert8583.ToDe13(get("TxId/LclDt")) is { } de13) m.Set(13, de13);
        if (get("Card/XpryDt") is { Length: 7 } expiry) m.Set(14, expiry[2..4] + expiry[5..7]);
        if (get("Cntxt/MrchntCtgyCd") is { } mcc) m.Set(18, mcc);
        if (get("Cntxt/CardDataNtryMd") is { } mode) m.Set(22, (EntryModes.FirstOrDefault(e => e.Mode == mode).Iso8583 ?? "00") + "0");
        if (get("Card/CardSeqNb") is { } seq) m.Set(23, Convert8583.Pad(seq, 3));
        if (get("Acqrr/Id") is { } acquirer) m.Set(32, acquirer);
        if (get("TxId/RtrvlRefNb") is { } rrn) m.Set(37, rrn);
        if (IsResponse && get("PrcgRslt/ApprvlCd") is { } auth) m.Set(38, auth);
        if (IsResponse && get("PrcgRslt/RspnCd") is { } code) m.Set(39, code);
        if (get("Termnl/Id") is { Length: <= 8 } terminal) m.Set(41, terminal.PadRight(8));
        if (get("Accptr/Id") is { Length: <= 15 } acceptor) m.Set(42, acceptor.PadRight(15));
        if (!IsResponse && get("Accptr/NmAndLctn") is { Length: <= 40 } location) m.Set(43, location.PadRight(40));
        if (IsReversal) m.Set(90, OriginalDataElements(get));
    }

    private static string OriginalDataElements(Func<string, string?> get)
    {
        string stan = Convert8583.Pad(get("OrgnlDataElmts/TxId/SysTracAudtNb") ?? "0", 6);
        string de7 = Convert8583.ToDe7(get("OrgnlDataElmts/TxId/TrnsmssnDtTm")) ?? "0000000000";
        return "0100" + stan[^6..] + de7 + Convert8583.Pad(get("OrgnlDataElmts/AcqrrId") ?? "0", 11) + Convert8583.Pad(get("OrgnlDataElmts/SndrId") ?? "0", 11);
    }

    public override void Defaults(IsoMessage m, Values v)
    {
        v.Put("Hdr/MsgFctn", IsResponse ? "RESP" : "REQU");
        v.Put("TxChrtcs/TxTp", "00");
        v.Put("Acqrr/Id", "0");
        if (type == "cain.001")
        {
            v.Put("Cntxt/CardDataNtryMd", "UNSP");
            v.Put("Cntxt/MrchntCtgyCd", "0000");
        }
    }

    public override void FromIso8583(IsoMessage m, IsoMessage probe, Values v)
    {
        var currency = Convert8583.CurrencyOfDe49(m[49]);
        v["TxAmts/Amt"] = Convert8583.FromMinorUnits(m[4] ?? throw new Iso20022TranslationException($"DE 4 (amount) is required for a {type}."), currency.Decimals);
        v["TxAmts/Ccy"] = currency.Numeric;
        v.Put("Card/PAN", m[2]);
        if (m[3] is { Length: 6 } de3 && probe[3]?[..2] != de3[..2]) v["TxChrtcs/TxTp"] = de3[..2];
        if (m[7] is { } de7 && probe[7] != de7 && Convert8583.FromDe7(de7) is { } sent) v["TxId/TrnsmssnDtTm"] = sent;
        string stan = m[11] ?? throw new Iso20022TranslationException($"DE 11 (STAN) is required for a {type}.");
        if (probe[11] != stan) v["TxId/SysTracAudtNb"] = stan;
        if (probe[12] != m[12]) v.Put("TxId/LclTm", Convert8583.FromDe12(m[12]));
        if (probe[13] != m[13]) v.Put("TxId/LclDt", Convert8583.FromDe13(m[13]));
        if (m[14] is { Length: 4 } de14 && probe[14] != de14) v["Card/XpryDt"] = $"20{de14[..2]}-{de14[2..]}";
        if (probe[18] != m[18]) v.Put("Cntxt/MrchntCtgyCd", m[18]);
        if (m[22] is { Length: >= 2 } de22 && probe[22] != de22 && type != "cain.006")
            v["Cntxt/CardDataNtryMd"] = EntryModes.FirstOrDefault(e => e.Iso8583 == de22[..2]).Mode ?? "UNSP";
        if (probe[23] != m[23]) v.Put("Card/CardSeqNb", m[23]);
        if (probe[32] != m[32]) v.Put("Acqrr/Id", m[32]);
        if (probe[37] != m[37] && m[37] is { Length: 12 } rrn) v["TxId/RtrvlRefNb"] = rrn;
        if (IsResponse && probe[38] != m[38] && m[38] is { Length: 6 } auth && auth.All(c => char.IsAsciiLetterOrDigit(c) || c == ' ')) v["PrcgRslt/ApprvlCd"] = auth;
        if (IsResponse) v["PrcgRslt/RspnCd"] = m[39] ?? throw new Iso20022TranslationException($"DE 39 (response code) is required for a {type}.");
        if (probe[41] != m[41]) v.Put("Termnl/Id", m[41]?.TrimEnd());
        if (probe[42] != m[42]) v.Put("Accptr/Id", m[42]?.TrimEnd());
        if (!IsResponse && probe[43] != m[43]) v.Put("Accptr/NmAndLctn", m[43]?.TrimEnd());
        if (!IsResponse && v.ContainsKey("Accptr/Id")) v.Put("Accptr/NmAndLctn", v.Get("Accptr/NmAndLctn") ?? Convert8583.NotProvided);
        if (!IsResponse && !v.ContainsKey("Accptr/Id")) v.Remove("Accptr/NmAndLctn");
        if (IsReversal && probe[90] != m[90] && m[90] is { Length: 42 } de90) PutOriginal(v, de90);
        if (!v.ContainsKey("Hdr/CreDtTm")) v.Put("Hdr/CreDtTm", v.Get("TxId/TrnsmssnDtTm"));
    }

    private static void PutOriginal(Values v, string de90)
    {
        v["OrgnlDataElmts/TxId/SysTracAudtNb"] = de90[4..10];
        if (de90[10..20] != "0000000000" && Convert8583.FromDe7(de90[10..20]) is { } sent) v["OrgnlDataElmts/TxId/TrnsmssnDtTm"] = sent;
        v["OrgnlDataElmts/AcqrrId"] = long.Parse(de90[20..31], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        v["OrgnlDataElmts/SndrId"] = long.Parse(de90[31..42], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }
}
