using Switch.Iso8583.Codecs;

namespace Switch.Iso8583.Spec;

/// <summary>What a field holds; decides default padding and how the value is shown.</summary>
public enum FieldType
{
    /// <summary>Digits (n).</summary>
    Numeric,

    /// <summary>Characters (an, ans).</summary>
    String,

    /// <summary>Bytes (b), shown as uppercase hex.</summary>
    Binary,

    /// <summary>Sign C/D then digits (x+n).</summary>
    Amount,

    /// <summary>A bitmap (field 1 of a message or sub-message).</summary>
    Bitmap,

    /// <summary>A field made of sub-fields (fixed-position or bitmapped).</summary>
    Composite,
}

/// <summary>What a field's value reveals of the card, which decides how logs and displays show it (PCI DSS 3.4).</summary>
public enum Sensitivity
{
    /// <summary>Shown as it is.</summary>
    None,

    /// <summary>A PAN: shown first 6 / last 4.</summary>
    Pan,

    /// <summary>Track data: shown as the masked PAN only.</summary>
    Track,

    /// <summary>PIN block, security control data, CVV-carrying fields: never shown.</summary>
    Secret,

    /// <summary>EMV BER-TLV (hex): card-identifying tags masked or removed.</summary>
    Emv,
}

/// <summary>
/// One field of a message spec: a composition of a length prefix, a value encoding and a padding,
/// plus optional sub-fields or a BER-TLV check. Immutable and shared by every message.
/// </summary>
public sealed class FieldSpec
{
    /// <summary>Field number (0 = MTI, 1 = bitmap).</summary>
    public int Number { get; }

    /// <summary>Human name.</summary>
    public string Name { get; }

    /// <summary>What the field holds.</summary>
    public FieldType Type { get; }

    /// <summary>Fixed length, or maximum length of a variable field, in units.</summary>
    public int Length { get; }

    /// <summary>The length prefix (<see cref="LengthPrefix.Fixed"/> for fixed fields).</summary>
    public LengthPrefix Prefix { get; }

    /// <summary>True when the prefix counts wire bytes rather than units (digits/characters/bytes).</summary>
    public bool PrefixCountsBytes { get; }

    /// <summary>How the value is represented.</summary>
    public ValueEncoding Encoding { get; }

    /// <summary>Padding used when a short value is encoded into a fixed field.</summary>
    public Padding Padding { get; }

    /// <summary>When set, the value must be well-formed BER-TLV (e.g. DE 55).</summary>
    public bool Tlv { get; }

    /// <summary>How logs and displays must show the value (declared in the spec).</summary>
    public Sensitivity Sensitivity { get; }

    /// <summary>Sub-field layout for composite fields.</summary>
    public MessageSpec? Subfields { get; }

    /// <summary>Wire bytes of a fixed field's value.</summary>
    public int FixedWireBytes { get; }

    /// <summary>Largest length a field may declare, in units.</summary>
    public const int LengthMax = 16 * 1024 * 1024;

    /// <summary>Creates a field spec; throws <see cref="ArgumentException"/> for impossible combinations.</summary>
    public FieldSpec(int number, string name, FieldType type, int length, LengthPrefix prefix, ValueEncoding encoding,
        Padding? padding = null, bool prefixCountsBytes = false, bool tlv = false, MessageSpec? subfields = null,
        Sensitivity sensitivity = Sensitivity.None)
    {
        if (number is < 0 or > 192) throw new ArgumentException($"field number {number} is outside 0..192");
        if (length < 0) throw new ArgumentException($"field {number}: length {length} is negative");
        // No message exceeds 16 MiB (MessageSpec's ceiling); a larger length would also overflow the wire size.
        if (length > LengthMax) throw new ArgumentException($"field {number}: length {length} exceeds {LengthMax}");
        if (!prefix.IsFixed && length > prefix.MaxValue && !prefixCountsBytes)
            throw new ArgumentException($"field {number}: maximum length {length} does not fit a {prefix} prefix");
        if (type == FieldType.Composite && subfields is null) throw new ArgumentException($"field {number}: composite field without sub-fields");
        Number = number;
        Name = name;
        Type = type;
        Length = length;
        Prefix = prefix;
        PrefixCountsBytes = prefixCountsBytes;
        Encoding = encoding;
        Padding = padding ?? (type is FieldType.Numeric or FieldType.Amount ? Padding.LeftZeros : Padding.RightSpaces);
        Tlv = tlv;
        Subfields = subfields;
        Sensitivity = sensitivity;
        FixedWireBytes = prefix.IsFixed ? encoding.WireBytes(length) : -1;
    }

    /// <summary>The same field with another sensitivity.</summary>
    public FieldSpec WithSensitivity(Sensitivity sensitivity) =>
        sensitivity == Sensitivity ? this : new(Number, Name, Type, Length, Prefix, Encoding, Padding, PrefixCountsBytes, Tlv, Subfields, sensitivity);

    /// <summary>
    /// The ISO 8583 field numbers that carry card data in every version, for specs that cannot say so themselves
    /// (jPOS packager XML has no such attribute): DE 2, 34 PAN; 35, 36, 45 track data; 52 PIN block, 53 security
    /// control, 96, 110, 111 (CVV2/CVC2 and key data in common dialects) secret; 55 EMV data.
    /// </summary>
    public static Sensitivity DefaultSensitivity(int number) => number switch
    {
        2 or 34 => Sensitivity.Pan,
        35 or 36 or 45 => Sensitivity.Track,
        52 or 53 or 96 or 110 or 111 => Sensitivity.Secret,
        55 => Sensitivity.Emv,
        _ => Sensitivity.None,
    };

    /// <summary>One-line description of the wire form, for <c>describe</c>.</summary>
    public string WireForm()
    {
        string unit = Encoding switch
        {
            BcdEncoding => "digits",
            BinaryEncoding or HexTextEncoding => "bytes",
            _ => "chars",
        };
        string size = Prefix.IsFixed
            ? $"fixed {Length} {unit}"
            : $"{Prefix} length{(PrefixCountsBytes ? " (counts bytes)" : "")}, up to {Length} {unit}";
        if (Type == FieldType.Bitmap)
        {
            string count = Length <= 8 ? "primary only" : Length <= 16 ? "primary + secondary" : "primary + secondary + tertiary";
            return $"{Encoding.Name} bitmap, {count} (up to {Length} bytes)";
        }
        string extra = Subfields is null ? "" : Subfields.HasBitmap ? ", bitmapped sub-fields" : ", fixed sub-fields";
        if (Tlv) extra += ", BER-TLV";
        if (Sensitivity != Sensitivity.None) extra += $", sensitive: {Sensitivity.ToString().ToLowerInvariant()}";
        string pad = Encoding is BcdEncoding b ? (b.PadLeft ? ", odd length pad left" : ", odd length pad right") : "";
        return $"{Encoding.Name}{pad}, {size}{extra}";
    }
}
