using System.Globalization;

namespace Switch.Iso20022;

/// <summary>A financial institution as a payment names it: BIC, clearing system and member id, or neither.</summary>
public sealed record Agent(string? Bic, string? ClearingSystem, string? MemberId, string? Name)
{
    /// <summary>A short form for logs and routing keys: the BIC, else "system/member", else the name.</summary>
    public override string ToString() => Bic ?? (MemberId is not null ? $"{ClearingSystem}/{MemberId}" : Name ?? "");
}

/// <summary>
/// The fields the switch routes, journals and answers on, typed, from the first transaction of a pacs, camt or pain
/// message (group header, payment ids, amount, agents, debtor and creditor with accounts, remittance, status and
/// reason, and the original's ids for a status, return or cancellation). Everything else stays in the document.
/// </summary>
public sealed record PaymentView
{
    /// <summary>The message name, e.g. "pacs.008.001.08".</summary>
    public required string MessageName { get; init; }
    /// <summary>GrpHdr/MsgId, or Assgnmt/Id for an investigation.</summary>
    public string? MessageId { get; init; }
    /// <summary>The creation time (GrpHdr/CreDtTm or Assgnmt/CreDtTm).</summary>
    public DateTimeOffset? Created { get; init; }
    /// <summary>GrpHdr/NbOfTxs.</summary>
    public int? NumberOfTransactions { get; init; }
    /// <summary>The payment's instruction id.</summary>
    public string? InstructionId { get; init; }
    /// <summary>The end-to-end id.</summary>
    public string? EndToEndId { get; init; }
    /// <summary>The transaction id.</summary>
    public string? TransactionId { get; init; }
    /// <summary>The UETR.</summary>
    public string? Uetr { get; init; }
    /// <summary>The transaction's amount (settlement, returned or instructed amount).</summary>
    public decimal? Amount { get; init; }
    /// <summary>The amount's ISO 4217 currency.</summary>
    public string? Currency { get; init; }
    /// <summary>The debtor's name.</summary>
    public string? DebtorName { get; init; }
    /// <summary>The debtor's account (IBAN or other id).</summary>
    public string? DebtorAccount { get; init; }
    /// <summary>The debtor's agent.</summary>
    public Agent? DebtorAgent { get; init; }
    /// <summary>The creditor's name.</summary>
    public string? CreditorName { get; init; }
    /// <summary>The creditor's account.</summary>
    public string? CreditorAccount { get; init; }
    /// <summary>The creditor's agent.</summary>
    public Agent? CreditorAgent { get; init; }
    /// <summary>The instructing agent.</summary>
    public Agent? InstructingAgent { get; init; }
    /// <summary>The instructed agent.</summary>
    public Agent? InstructedAgent { get; init; }
    /// <summary>The first unstructured remittance line.</summary>
    public string? Remittance { get; init; }
    /// <summary>The transaction status (pacs.002, pain.002).</summary>
    public string? Status { get; init; }
    /// <summary>The status, return or cancellation reason code.</summary>
    public string? ReasonCode { get; init; }
    /// <summary>The original message id (status, return, cancellation).</summary>
    public string? OriginalMessageId { get; init; }
    /// <summary>The original end-to-end id.</summary>
    public string? OriginalEndToEndId { get; init; }
    /// <summary>The original UETR.</summary>
    public string? OriginalUetr { get; init; }

    /// <summary>The view of a document: each field is the first value whose path ends as the field's element does.</summary>
    public static PaymentView Of(Iso20022Document document)
    {
        string? Find(params string[] suffixes)
        {
            foreach (string suffix in suffixes)
                foreach (var f in document.Fields)
                    if (f.Path == suffix || f.Path.EndsWith("/" + suffix, StringComparison.Ordinal)) return f.Value;
            return null;
        }
        Agent? AgentAt(string element)
        {
            string? bic = Find(element + "/FinInstnId/BICFI"), member = Find(element + "/FinInstnId/ClrSysMmbId/MmbId"), name = Find(element + "/FinInstnId/Nm");
            return bic is null && member is null && name is null ? null : new Agent(bic, Find(element + "/FinInstnId/ClrSysMmbId/ClrSysId/Cd"), member, name);
        }
        string[] amounts = ["IntrBkSttlmAmt", "RtrdIntrBkSttlmAmt", "OrgnlIntrBkSttlmAmt", "InstdAmt"];
        string? amountElement = amounts.FirstOrDefault(a => Find(a) is not null);
        return new PaymentView
        {
            MessageName = document.MessageName,
            MessageId = Find("GrpHdr/MsgId", "Assgnmt/Id"),
            Created = Find("GrpHdr/CreDtTm", "Assgnmt/CreDtTm") is { } created && DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null,
            NumberOfTransactions = int.TryParse(Find("GrpHdr/NbOfTxs"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null,
            InstructionId = Find("PmtId/InstrId"),
            EndToEndId = Find("PmtId/EndToEndId"),
            TransactionId = Find("PmtId/TxId"),
            Uetr = Find("PmtId/UETR"),
            Amount = amountElement is not null && decimal.TryParse(Find(amountElement), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal a) ? a : null,
            Currency = amountElement is not null ? Find(amountElement + "/@Ccy") : null,
            DebtorName = Find("Dbtr/Nm", "Dbtr/Pty/Nm"),
            DebtorAccount = Find("DbtrAcct/Id/IBAN", "DbtrAcct/Id/Othr/Id"),
            DebtorAgent = AgentAt("DbtrAgt"),
            CreditorName = Find("Cdtr/Nm", "Cdtr/Pty/Nm"),
            CreditorAccount = Find("CdtrAcct/Id/IBAN", "CdtrAcct/Id/Othr/Id"),
            CreditorAgent = AgentAt("CdtrAgt"),
            InstructingAgent = AgentAt("InstgAgt"),
            InstructedAgent = AgentAt("InstdAgt"),
            Remittance = Find("RmtInf/Ustrd"),
            Status = Find("TxSts"),
            ReasonCode = Find("StsRsnInf/Rsn/Cd", "RtrRsnInf/Rsn/Cd", "CxlRsnInf/Rsn/Cd"),
            OriginalMessageId = Find("OrgnlGrpInf/OrgnlMsgId"),
            OriginalEndToEndId = Find("OrgnlEndToEndId"),
            OriginalUetr = Find("OrgnlUETR"),
        };
    }
}
