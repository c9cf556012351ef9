using Switch.Common.Configuration;

namespace Switch.Iso20022;

/// <summary>Limits of the ISO 20022 reader; bound from the host's "iso20022" section with <see cref="FromSection"/>.</summary>
public sealed class Iso20022Options
{
    /// <summary>Largest document accepted, in bytes (the frame is refused before parsing when larger).</summary>
    public int DocumentBytesMax { get; set; } = 1024 * 1024;

    /// <summary>Deepest element nesting accepted (XmlReader itself has no depth limit; the reader counts).</summary>
    public int ElementDepthMax { get; set; } = 64;

    /// <summary>Most errors collected from one document before the reader stops.</summary>
    public int ErrorsMax { get; set; } = 50;

    /// <summary>The defaults: 1 MiB, depth 64, 50 errors.</summary>
    public static Iso20022Options Default { get; } = new();

    /// <summary>Binds and validates the host's section; problems name the key.</summary>
    public static Iso20022Options FromSection(ConfigSection section)
    {
        var options = section.Bind<Iso20022Options>();
        options.Validate(section);
        return options;
    }

    /// <summary>Throws a <see cref="ConfigException"/> naming the first out-of-range limit.</summary>
    public void Validate(ConfigSection section)
    {
        if (DocumentBytesMax is < 1024 or > 64 * 1024 * 1024) throw section.Error("documentBytesMax", "must be between 1024 and 67108864 bytes");
        if (ElementDepthMax is < 8 or > 1024) throw section.Error("elementDepthMax", "must be between 8 and 1024");
        if (ErrorsMax is < 1 or > 10_000) throw section.Error("errorsMax", "must be between 1 and 10000");
    }
}
