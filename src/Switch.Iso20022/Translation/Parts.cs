namespace Switch.Iso20022.Translation;

/// <summary>Path groups shared by the payment mappings: agents, parties and accounts.</summary>
internal static class Parts
{
    /// <summary>An agent's paths in schema order (BranchAndFinancialInstitutionIdentification6).</summary>
    public static IEnumerable<string> Agent(string prefix) =>
    [
        prefix + "/FinInstnId/BICFI",
        prefix + "/FinInstnId/ClrSysMmbId/ClrSysId/Cd",
        prefix + "/FinInstnId/ClrSysMmbId/MmbId",
        prefix + "/FinInstnId/LEI",
        prefix + "/FinInstnId/Nm",
        prefix + "/FinInstnId/Othr/Id",
    ];

    /// <summary>An agent's paths with their TLV tags: the letter given plus B (BIC), C (clearing system), M (member), L (LEI), N (name), O (other id).</summary>
    public static IEnumerable<(string, string)> AgentTags(char letter, string prefix)
    {
        string[] kinds = ["B", "C", "M", "L", "N", "O"];
        return Agent(prefix).Select((path, i) => ($"{letter}{kinds[i]}", path));
    }

    /// <summary>A party's name (PartyIdentification135).</summary>
    public static string Name(string party) => party + "/Nm";

    /// <summary>An account's identification, IBAN or other (CashAccount38).</summary>
    public static IEnumerable<string> Account(string account) => [account + "/Id/IBAN", account + "/Id/Othr/Id"];

    /// <summary>The member id of an agent when it is numeric and fits an institution id field (DE 32, DE 100: up to 11 digits).</summary>
    public static string? InstitutionId(Func<string, string?> get, string agent)
    {
        string? member = get(agent + "/FinInstnId/ClrSysMmbId/MmbId");
        return Convert8583.IsDigits(member, 11) ? member : null;
    }

    /// <summary>An account id that fits DE 102/103 (28 characters).</summary>
    public static string? AccountId(Func<string, string?> get, string account)
    {
        string? id = get(account + "/Id/IBAN") ?? get(account + "/Id/Othr/Id");
        return id is { Length: <= 28 } ? id : null;
    }

    /// <summary>Puts an ISO 8583 account id as IBAN when it is one, else as other id.</summary>
    public static void PutAccount(Values values, string account, string? id)
    {
        if (string.IsNullOrEmpty(id)) return;
        string iban = account + "/Id/IBAN", other = account + "/Id/Othr/Id";
        if (Iban.Problem(id) is null) values.PutChoice(iban, id, other);
        else values.PutChoice(other, id, iban);
    }

    /// <summary>Puts an institution id as the agent's clearing member id, dropping a conventional placeholder.</summary>
    public static void PutInstitution(Values values, string agent, string? id)
    {
        if (string.IsNullOrEmpty(id)) return;
        string member = agent + "/FinInstnId/ClrSysMmbId/MmbId";
        if (values.Get(member) == id) return;
        values.Remove(agent + "/FinInstnId/Othr/Id");
        values.Remove(agent + "/FinInstnId/ClrSysMmbId/ClrSysId/Cd");
        values[member] = id;
    }

    /// <summary>A required agent that nothing identified gets the conventional "NOTPROVIDED" other id.</summary>
    public static void RequireAgent(Values values, string agent)
    {
        if (!Agent(agent).Any(values.ContainsKey)) values[agent + "/FinInstnId/Othr/Id"] = Convert8583.NotProvided;
    }
}
