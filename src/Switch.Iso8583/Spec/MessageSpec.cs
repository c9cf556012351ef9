using Switch.Iso8583.Codecs;

namespace Switch.Iso8583.Spec;

/// <summary>
/// A message dialect: optional fixed header, MTI (field 0), bitmap (field 1) and data fields 2–192.
/// Also describes sub-messages (a composite field's layout), which have no MTI and either a bitmap
/// or fixed-position sub-fields. Immutable, thread-safe, shared by every message of the dialect.
/// </summary>
public sealed partial class MessageSpec
{
    /// <summary>Default maximum message size (64 KiB).</summary>
    public const int DefaultMaxMessageBytes = 64 * 1024;

    /// <summary>Largest spec file (JSON or jPOS XML) read; a larger one, or one that is not a regular file, is refused.</summary>
    public const int SpecFileBytesMax = 4 * 1024 * 1024;

    /// <summary>Reads a spec file within <see cref="SpecFileBytesMax"/>; every problem is a spec error naming the file.</summary>
    internal static byte[] ReadSpecFile(string path)
    {
        try
        {
            return Switch.Common.IO.BoundedFile.ReadAllBytes(path, SpecFileBytesMax);
        }
        catch (Switch.Common.IO.BoundedFileException ex)
        {
            throw new IsoFormatException($"spec file {ex.Message}");
        }
    }

    /// <summary>Default maximum BER-TLV nesting depth.</summary>
    public const int DefaultMaxTlvDepth = 8;

    private readonly FieldSpec?[] _fields;

    /// <summary>Wire bytes of each fixed field by number; -1 for variable or undefined fields.</summary>
    internal readonly int[] FixedWire;

    /// <summary>Length in units of each fixed field by number.</summary>
    internal readonly int[] FixedUnits;

    /// <summary>Like <see cref="FixedWire"/>, but -1 also for fields with sub-fields or a TLV check (the strict fast path).</summary>
    internal readonly int[] PlainFixedWire;

    /// <summary>The field spec of a defined field number (no bounds check beyond the array's).</summary>
    internal FieldSpec FieldAt(int number) => _fields[number]!;

    /// <summary>Spec name (e.g. iso8583-1987-binary).</summary>
    public string Name { get; }

    /// <summary>What the spec is for.</summary>
    public string Description { get; }

    /// <summary>Bytes of fixed header before the MTI (0 when none).</summary>
    public int HeaderLength { get; }

    /// <summary>True for a composite field's layout.</summary>
    public bool IsSubMessage { get; }

    /// <summary>True when a bitmap announces the other fields.</summary>
    public bool HasBitmap => BitmapField >= 0;

    /// <summary>
    /// Which field is the bitmap: 1 (the standard layout, bit 1 announcing a secondary bitmap), 0
    /// (Base1SubFieldPackager style: a fixed-size bitmap whose bit k announces sub-field k), or -1
    /// for fixed-position sub-fields.
    /// </summary>
    public int BitmapField { get; }

    /// <summary>How many bitmaps field 1 may hold (1 to 3).</summary>
    public int MaxBitmaps { get; }

    /// <summary>Highest field number the spec defines.</summary>
    public int MaxField { get; }

    /// <summary>For fixed-position sub-fields: the first sub-field number.</summary>
    public int FirstField { get; }

    /// <summary>Messages larger than this are rejected before parsing.</summary>
    public int MaxMessageBytes { get; }

    /// <summary>Deepest BER-TLV nesting accepted in TLV fields.</summary>
    public int MaxTlvDepth { get; }

    /// <summary>Creates a spec from its fields; throws <see cref="ArgumentException"/> when inconsistent.</summary>
    public MessageSpec(string name, string description, IEnumerable<FieldSpec> fields, int headerLength = 0,
        bool isSubMessage = false, int? firstField = null, int maxMessageBytes = DefaultMaxMessageBytes,
        int maxTlvDepth = DefaultMaxTlvDepth)
    {
        if (headerLength < 0) throw new ArgumentException("header length is negative");
        if (maxMessageBytes is < 1 or > 16 * 1024 * 1024) throw new ArgumentException("maxMessageBytes must be 1..16 MiB");
        var list = fields.ToList();
        int max = list.Count == 0 ? 1 : list.Max(f => f.Number);
        _fields = new FieldSpec?[Math.Max(max, 1) + 1];
        foreach (var f in list)
        {
            if (_fields[f.Number] is not null) throw new ArgumentException($"field {f.Number} is defined twice");
            _fields[f.Number] = f;
        }
        Name = name;
        Description = description;
        HeaderLength = headerLength;
        IsSubMessage = isSubMessage;
        MaxField = max;
        MaxMessageBytes = maxMessageBytes;
        MaxTlvDepth = maxTlvDepth;
        BitmapField = _fields.Length > 1 && _fields[1] is { Type: FieldType.Bitmap } ? 1
            : isSubMessage && _fields[0] is { Type: FieldType.Bitmap } ? 0
            : -1;
        MaxBitmaps = BitmapField switch
        {
            1 => BitmapCount(_fields[1]!),
            0 => FixedBitmapBytes(_fields[0]!) > 0 ? 1 : 0,
            _ => 0,
        };
        // Flat per-field tables for the decoder's fast path: wire bytes of fixed fields, -1 otherwise.
        FixedWire = new int[_fields.Length];
        FixedUnits = new int[_fields.Length];
        PlainFixedWire = new int[_fields.Length];
        for (int i = 0; i < _fields.Length; i++)
        {
            FixedWire[i] = _fields[i] is { Prefix.IsFixed: true } f ? f.FixedWireBytes : -1;
            FixedUnits[i] = _fields[i]?.Length ?? 0;
            PlainFixedWire[i] = _fields[i] is { Subfields: null, Tlv: false } ? FixedWire[i] : -1;
        }
        FirstField = firstField ?? (BitmapField == 1 ? 2 : BitmapField == 0 ? 1 : list.Count == 0 ? 1 : list.Min(f => f.Number));
        Validate();
    }

    private static int BitmapCount(FieldSpec bitmap)
    {
        if (bitmap.Encoding is not (BinaryEncoding or HexTextEncoding))
            throw new ArgumentException("the bitmap must be binary, ascii-hex or ebcdic-hex");
        // Length counts bitmap bytes: 8 = primary only, 16 = secondary allowed, 24 = tertiary allowed.
        return bitmap.Length switch
        {
            <= 8 => 1,
            <= 16 => 2,
            _ => 3,
        };
    }

    private static int FixedBitmapBytes(FieldSpec bitmap)
    {
        if (bitmap.Encoding is not (BinaryEncoding or HexTextEncoding))
            throw new ArgumentException("the bitmap must be binary, ascii-hex or ebcdic-hex");
        if (bitmap.Length is < 1 or > 24) throw new ArgumentException("a sub-field bitmap has 1 to 24 bytes");
        return bitmap.Length;
    }

    private void Validate()
    {
        if (!IsSubMessage && BitmapField != 1) throw new ArgumentException($"spec {Name}: field 1 must be a bitmap");
        if (!IsSubMessage && _fields[0] is null) throw new ArgumentException($"spec {Name}: field 0 (MTI) is not defined");
        int limit = BitmapField switch
        {
            1 => 64 * MaxBitmaps,
            0 => Math.Min(192, 8 * _fields[0]!.Length),
            _ => 192,
        };
        if (MaxField > limit) throw new ArgumentException($"spec {Name}: field {MaxField} cannot be announced by {MaxBitmaps} bitmap(s)");
    }

    /// <summary>The field's spec, or null when the spec does not define it.</summary>
    public FieldSpec? this[int number] => (uint)number < (uint)_fields.Length ? _fields[number] : null;

    /// <summary>The MTI spec (field 0), or null for sub-messages.</summary>
    public FieldSpec? Mti => IsSubMessage ? null : _fields[0];

    /// <summary>The bitmap spec, or null when fields are fixed-position.</summary>
    public FieldSpec? Bitmap => HasBitmap ? _fields[BitmapField] : null;

    /// <summary>All defined fields in number order.</summary>
    public IEnumerable<FieldSpec> Fields => _fields.Where(f => f is not null)!;

    /// <summary>True when bit 65 announces a tertiary bitmap rather than a data field.</summary>
    public bool HasTertiary => BitmapField == 1 && MaxBitmaps >= 3;

    /// <summary>True when <paramref name="number"/> is a data field (not MTI, bitmap or a bitmap-extension bit).</summary>
    public bool IsDataField(int number) =>
        number >= FirstField && number <= MaxField && number != BitmapField
        && !(BitmapField == 1 && (number == 1 || (number == 65 && HasTertiary)));
}
