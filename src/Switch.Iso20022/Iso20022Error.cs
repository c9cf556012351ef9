namespace Switch.Iso20022;

/// <summary>One problem found in an ISO 20022 document: a sentence and where it is (1-based line and position; 0 when unknown).</summary>
public readonly record struct Iso20022Error(int Line, int Position, string Message)
{
    /// <summary>"line 3, position 7: element 'Foo' is not expected …".</summary>
    public override string ToString() => $"line {Line}, position {Position}: {Message}";
}

/// <summary>What went wrong, so a transport can answer in kind (a pacs.002 RJCT for a business error, a 400 for a malformed frame).</summary>
public enum Iso20022ErrorKind
{
    /// <summary>Not well-formed, not UTF-8, truncated, a DTD or entity, too deep or too large.</summary>
    Malformed,
    /// <summary>The Document element's namespace names no loaded schema.</summary>
    UnsupportedMessage,
    /// <summary>Well-formed and supported, but the schema refuses it.</summary>
    SchemaInvalid,
    /// <summary>Schema-valid, but a business rule (currency decimals, IBAN, control sum …) fails.</summary>
    BusinessRule,
}

/// <summary>A document that was refused, with every error found (each with line and position).</summary>
public sealed class Iso20022Exception : Exception
{
    /// <summary>Creates the exception from the errors found (at least one).</summary>
    public Iso20022Exception(Iso20022ErrorKind kind, IReadOnlyList<Iso20022Error> errors)
        : base(errors.Count == 0 ? "the document was refused" : errors[0].ToString() + (errors.Count > 1 ? $" (and {errors.Count - 1} more)" : ""))
    {
        Kind = kind;
        Errors = errors;
    }

    /// <summary>The class of the first error.</summary>
    public Iso20022ErrorKind Kind { get; }

    /// <summary>Every error, in document order.</summary>
    public IReadOnlyList<Iso20022Error> Errors { get; }
}
