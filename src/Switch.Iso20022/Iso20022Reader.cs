namespace Switch.Iso20022;

/// <summary>
/// Reads one ISO 20022 frame: size capped before parsing, strict UTF-8, hardened XML (no DTD, entity, resolver or
/// XInclude), element depth counted, validated against the schema its Document namespace selects, then checked against
/// the business rules a schema cannot express. A transport hands it a frame's bytes and gets a typed document or every
/// error with its line and position. Thread-safe: one instance serves every connection.
/// </summary>
public sealed class Iso20022Reader
{
    /// <summary>Creates a reader over a compiled catalog with the given limits.</summary>
    public Iso20022Reader(SchemaCatalog catalog, Iso20022Options options)
    {
        Catalog = catalog;
        Options = options;
    }

    /// <summary>A reader over the built-in schemas with the default limits.</summary>
    public static Iso20022Reader Default { get; } = new(SchemaCatalog.BuiltIn, Iso20022Options.Default);

    /// <summary>The schemas messages are validated against.</summary>
    public SchemaCatalog Catalog { get; }

    /// <summary>The limits in force.</summary>
    public Iso20022Options Options { get; }

    /// <summary>Reads and validates a frame; throws <see cref="Iso20022Exception"/> carrying every error.</summary>
    public Iso20022Document Read(ReadOnlyMemory<byte> frame)
    {
        var pass = new ParsePass(this, frame);
        var document = pass.Run();
        if (pass.Errors.Count > 0) throw new Iso20022Exception(pass.Kind, pass.Errors);
        var ruleErrors = BusinessRules.Check(document!, Options.ErrorsMax);
        if (ruleErrors.Count > 0) throw new Iso20022Exception(Iso20022ErrorKind.BusinessRule, ruleErrors);
        return document!;
    }

    /// <summary>Reads a frame without throwing: true and the document, or false and the refusal.</summary>
    public bool TryRead(ReadOnlyMemory<byte> frame, out Iso20022Document? document, out Iso20022Exception? error)
    {
        try
        {
            document = Read(frame);
            error = null;
            return true;
        }
        catch (Iso20022Exception ex)
        {
            document = null;
            error = ex;
            return false;
        }
    }

    /// <summary>Every error of a frame (empty when it is valid).</summary>
    public IReadOnlyList<Iso20022Error> Validate(ReadOnlyMemory<byte> frame) =>
        TryRead(frame, out _, out var error) ? [] : error!.Errors;
}
