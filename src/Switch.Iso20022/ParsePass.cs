using System.Runtime.InteropServices;
using System.Text;
using System.Xml;
using System.Xml.Schema;

namespace Switch.Iso20022;

/// <summary>One read of one frame: well-formedness, limits, envelope, schema validation and value capture in a single streaming pass.</summary>
internal sealed class ParsePass
{
    private enum Section { None, Envelope, Header, Document, Done }

    private enum Phase { Element, Attribute, EndOfAttributes, Text, EndElement }

    private readonly Iso20022Reader _owner;
    private readonly ReadOnlyMemory<byte> _frame;
    private readonly int _errorsMax;
    private readonly List<Iso20022Field> _fields = new(64);
    private List<Iso20022Field>? _headerFields;
    private readonly StringBuilder _path = new(128);
    private readonly int[] _pathLengths;
    private readonly int[] _lines;
    private readonly int[] _positions;
    private readonly XmlSchemaType?[] _types;
    private readonly string[] _names;
    private readonly XmlSchemaInfo _info = new();
    private XmlReader _reader = null!;
    private IXmlLineInfo _lineInfo = null!;
    private XmlSchemaValidator? _validator;
    private Section _section;
    private int _sectionDepth;
    private string? _envelopeName;
    private bool _sawHeader;
    private int _pairDepth = -1;
    private const int WrapperDepthMax = 8;
    private string? _documentNamespace;
    private string? _headerNamespace;
    private string? _rootElement;
    private string? _text;
    private Phase _phase;
    private string _currentName = "";
    private string _currentAttribute = "";
    private bool _eventRaised;
    private List<string>? _expected;

    public ParsePass(Iso20022Reader owner, ReadOnlyMemory<byte> frame)
    {
        _owner = owner;
        _frame = frame;
        _errorsMax = owner.Options.ErrorsMax;
        int depth = owner.Options.ElementDepthMax + 2;
        _pathLengths = new int[depth];
        _lines = new int[depth];
        _positions = new int[depth];
        _types = new XmlSchemaType?[depth];
        _names = new string[depth];
    }

    public List<Iso20022Error> Errors { get; } = [];

    public Iso20022ErrorKind Kind { get; private set; } = Iso20022ErrorKind.SchemaInvalid;

    public Iso20022Document? Run()
    {
        if (!Precheck()) return null;
        try
        {
            using var stream = AsStream(_frame);
            using var reader = XmlReader.Create(stream, Settings(_owner.Options));
            _reader = reader;
            _lineInfo = (IXmlLineInfo)reader;
            Loop();
        }
        catch (XmlException ex)
        {
            Kind = Iso20022ErrorKind.Malformed;
            Errors.Add(new Iso20022Error(Math.Max(1, ex.LineNumber), Math.Max(1, ex.LinePosition), XmlErrorText.Describe(ex)));
        }
        catch (StopException)
        {
            // A fatal error was recorded; nothing more to read.
        }
        if (Errors.Count > 0) return null;
        return new Iso20022Document(_documentNamespace!, _owner.Catalog.MessageNameOf(_documentNamespace!)!, _rootElement ?? "",
            _fields, _headerFields, _headerNamespace, _frame);
    }

    private static XmlReaderSettings Settings(Iso20022Options options) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        // Whitespace is kept: inside a value it is the value (a blank identifier must be seen as blank).
        IgnoreWhitespace = false,
        CheckCharacters = true,
        ConformanceLevel = ConformanceLevel.Document,
        MaxCharactersInDocument = options.DocumentBytesMax,
        MaxCharactersFromEntities = 1024,
        CloseInput = true,
    };

    private static MemoryStream AsStream(ReadOnlyMemory<byte> frame) =>
        MemoryMarshal.TryGetArray(frame, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(frame.ToArray(), writable: false);

    /// <summary>Size, UTF-8 and the declared encoding, checked on the bytes before any parser sees them.</summary>
    private bool Precheck()
    {
        var span = _frame.Span;
        int max = _owner.Options.DocumentBytesMax;
        if (span.Length > max)
        {
            Fail(Iso20022ErrorKind.Malformed, 1, 1, $"the document is {span.Length} bytes, more than the limit of {max} bytes.", stop: false);
            return false;
        }
        if (span.IsEmpty)
        {
            Fail(Iso20022ErrorKind.Malformed, 1, 1, "the document is empty.", stop: false);
            return false;
        }
        var problem = Utf8Check.Find(span);
        if (problem is { } p)
        {
            Fail(Iso20022ErrorKind.Malformed, p.Line, p.Position, p.Message, stop: false);
            return false;
        }
        return true;
    }

    private void Loop()
    {
        bool read = _reader.Read();
        while (read)
        {
            switch (_reader.NodeType)
            {
                case XmlNodeType.Element:
                    if (!OnElement())
                    {
                        _reader.Skip();
                        read = !_reader.EOF;
                        continue;
                    }
                    if (_reader.IsEmptyElement) OnEndElement();
                    break;
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                case XmlNodeType.SignificantWhitespace:
                    OnText();
                    break;
                case XmlNodeType.Whitespace:
                    OnWhitespace();
                    break;
                case XmlNodeType.EndElement:
                    OnEndElement();
                    break;
            }
            read = _reader.Read();
        }
        if (_section == Section.Envelope)
            Fail(Iso20022ErrorKind.SchemaInvalid, _lineInfo.LineNumber, _lineInfo.LinePosition, $"the envelope '{_envelopeName}' holds no Document.");
        if (_documentNamespace is null && Errors.Count == 0)
            Fail(Iso20022ErrorKind.SchemaInvalid, 1, 1, "the frame holds no Document element.");
    }

    /// <summary>Handles a start tag; false when the element (and its subtree) is to be skipped.</summary>
    private bool OnElement()
    {
        int depth = _reader.Depth;
        int line = _lineInfo.LineNumber, position = _lineInfo.LinePosition;
        if (depth + 1 > _owner.Options.ElementDepthMax || depth + 2 >= _names.Length)
            Fail(Iso20022ErrorKind.Malformed, line, position, $"elements are nested deeper than the limit of {_owner.Options.ElementDepthMax} levels.", stop: true);
        _lines[depth] = line;
        _names[depth] = _reader.LocalName;
        _positions[depth] = position;
        _text = null;
        switch (_section)
        {
            case Section.None:
                return StartRoot(depth);
            case Section.Envelope:
                return StartEnvelopeChild(depth);
            case Section.Done:
                Fail(Iso20022ErrorKind.SchemaInvalid, line, position, $"element '{_reader.LocalName}' is not expected after the Document.");
                return false;
            default:
                ValidateStart(depth);
                return true;
        }
    }

    private bool StartRoot(int depth)
    {
        string local = _reader.LocalName;
        if (local == "Document") return BeginDocument(depth);
        if (local == "AppHdr")
        {
            Fail(Iso20022ErrorKind.SchemaInvalid, _lines[depth], _positions[depth], "an AppHdr alone is not a message: send it with its Document in one envelope element.", stop: true);
            return false;
        }
        _section = Section.Envelope;
        _envelopeName = local;
        return true;
    }

    private bool StartEnvelopeChild(int depth)
    {
        string local = _reader.LocalName;
        bool pairStarted = _sawHeader || _documentNamespace is not null;
        if (local == "AppHdr" && !pairStarted) return BeginHeader(depth);
        if (local == "Document" && _documentNamespace is null && (!_sawHeader || depth == _pairDepth)) return BeginDocument(depth);
        // Before the pair, a transport's own elements (a SWIFT DataPDU's Revision and Header, a SOAP Body) are its data:
        // read through, never validated. Nothing in an ISO 20022 namespace may hide there, and nothing follows the pair.
        if (!pairStarted && depth < WrapperDepthMax && !_reader.NamespaceURI.StartsWith(SchemaCatalog.NamespacePrefix, StringComparison.Ordinal))
            return true;
        Fail(Iso20022ErrorKind.SchemaInvalid, _lines[depth], _positions[depth],
            $"element '{local}' is not expected in the envelope '{_envelopeName}'; an envelope holds one AppHdr followed by one Document.");
        return false;
    }

    private bool BeginHeader(int depth)
    {
        string ns = _reader.NamespaceURI;
        if (!_owner.Catalog.Supports(ns) || !ns.Contains(":head.", StringComparison.Ordinal))
        {
            Fail(Iso20022ErrorKind.UnsupportedMessage, _lines[depth], _positions[depth], $"the AppHdr namespace '{ns}' names no supported business application header.", stop: true);
            return false;
        }
        _sawHeader = true;
        _pairDepth = depth;
        _headerNamespace = ns;
        _headerFields = new List<Iso20022Field>(16);
        BeginSection(Section.Header, depth);
        return true;
    }

    private bool BeginDocument(int depth)
    {
        string ns = _reader.NamespaceURI;
        if (!_owner.Catalog.Supports(ns) || ns.Contains(":head.", StringComparison.Ordinal))
        {
            string problem = ns.Length == 0
                ? "the Document element has no namespace; an ISO 20022 Document names its message in its namespace (urn:iso:std:iso:20022:tech:xsd:…)."
                : ns.StartsWith(SchemaCatalog.NamespacePrefix, StringComparison.Ordinal)
                    ? $"unsupported message: no schema is loaded for '{ns[SchemaCatalog.NamespacePrefix.Length..]}' (namespace '{ns}')."
                    : $"unsupported message: the Document namespace '{ns}' is not an ISO 20022 message namespace.";
            Fail(Iso20022ErrorKind.UnsupportedMessage, _lines[depth], _positions[depth], problem, stop: true);
            return false;
        }
        _documentNamespace = ns;
        _pairDepth = depth;
        BeginSection(Section.Document, depth);
        return true;
    }

    private void BeginSection(Section section, int depth)
    {
        _section = section;
        _sectionDepth = depth;
        _path.Clear();
        _validator = NewValidator();
        ValidateStart(depth);
    }

    private XmlSchemaValidator NewValidator()
    {
        var validator = new XmlSchemaValidator(_reader.NameTable, _owner.Catalog.Schemas, (IXmlNamespaceResolver)_reader, XmlSchemaValidationFlags.None)
        {
            XmlResolver = null,
            LineInfoProvider = _lineInfo,
        };
        validator.ValidationEventHandler += OnValidationEvent;
        validator.Initialize();
        return validator;
    }

    private int PathBase => _section == Section.Document ? _sectionDepth + 2 : _sectionDepth + 1;

    private void ValidateStart(int depth)
    {
        string local = _reader.LocalName;
        if (_section == Section.Document && depth == _sectionDepth + 1) _rootElement ??= local;
        if (depth >= PathBase)
        {
            _pathLengths[depth] = _path.Length;
            if (_path.Length > 0) _path.Append('/');
            _path.Append(local);
        }
        string? xsiType = null, xsiNil = null, xsiLocation = null, xsiNoNsLocation = null;
        if (_reader.HasAttributes) ReadXsiAttributes(ref xsiType, ref xsiNil, ref xsiLocation, ref xsiNoNsLocation);
        _currentName = local;
        _phase = Phase.Element;
        _validator!.ValidateElement(local, _reader.NamespaceURI, _info, xsiType, xsiNil, xsiLocation, xsiNoNsLocation);
        _types[depth] = _info.SchemaType;
        if (_eventRaised) Report(depth);
        if (_reader.HasAttributes) ValidateAttributes(depth);
        _phase = Phase.EndOfAttributes;
        _validator.ValidateEndOfAttributes(null);
        if (_eventRaised) Report(depth);
    }

    private void ReadXsiAttributes(ref string? type, ref string? nil, ref string? location, ref string? noNsLocation)
    {
        while (_reader.MoveToNextAttribute())
        {
            if (_reader.NamespaceURI != XmlSchema.InstanceNamespace) continue;
            switch (_reader.LocalName)
            {
                case "type": type = _reader.Value; break;
                case "nil": nil = _reader.Value; break;
                case "schemaLocation": location = _reader.Value; break;
                case "noNamespaceSchemaLocation": noNsLocation = _reader.Value; break;
            }
        }
        _reader.MoveToElement();
    }

    private void ValidateAttributes(int depth)
    {
        while (_reader.MoveToNextAttribute())
        {
            string ns = _reader.NamespaceURI;
            if (ns == "http://www.w3.org/2000/xmlns/" || ns == XmlSchema.InstanceNamespace) continue;
            _currentAttribute = _reader.LocalName;
            string value = _reader.Value;
            _phase = Phase.Attribute;
            _validator!.ValidateAttribute(_currentAttribute, ns, value, _info);
            if (_eventRaised) Report(depth, value, _info.SchemaAttribute);
            AddField(_path.Length == 0 ? "@" + _currentAttribute : $"{_path}/@{_currentAttribute}", value, _lineInfo.LineNumber, _lineInfo.LinePosition);
        }
        _reader.MoveToElement();
    }

    private void OnText()
    {
        if (_section is not (Section.Header or Section.Document))
        {
            // Text of a transport's own elements before the pair is its data; anywhere else it is misplaced.
            bool transportData = _section == Section.Envelope && !_sawHeader && _documentNamespace is null && _reader.Depth > 1;
            if (_reader.NodeType != XmlNodeType.SignificantWhitespace && !transportData)
                Fail(Iso20022ErrorKind.SchemaInvalid, _lineInfo.LineNumber, _lineInfo.LinePosition, "text is not allowed outside the AppHdr and the Document.");
            return;
        }
        string value = _reader.Value;
        _text = _text is null ? value : _text + value;
        _phase = Phase.Text;
        _validator!.ValidateText(value);
        if (_eventRaised) Report(_reader.Depth - 1);
    }

    private void OnWhitespace()
    {
        if (_section is not (Section.Header or Section.Document) || _validator is null) return;
        int depth = _reader.Depth - 1;
        string value = _reader.Value;
        // Between child elements whitespace is layout; inside a value's element it is part of the value.
        if (depth >= 0 && SchemaMessages.IsTextType(_types[depth])) _text = _text is null ? value : _text + value;
        _validator.ValidateWhitespace(value);
    }

    private void OnEndElement()
    {
        int depth = _reader.Depth;
        if (_section is Section.Header or Section.Document)
        {
            _currentName = _reader.LocalName;
            _phase = Phase.EndElement;
            _validator!.ValidateEndElement(_info);
            if (_eventRaised) Report(depth, _text);
            if (_text is not null && depth >= PathBase) AddField(_path.ToString(), _text, _lines[depth], _positions[depth]);
            _text = null;
            if (depth >= PathBase) _path.Length = _pathLengths[depth];
            if (depth == _sectionDepth) EndSection();
        }
        else if (_section == Section.Envelope && depth == 0)
        {
            _section = Section.Done;
        }

    }

    private void EndSection()
    {
        _validator!.EndValidation();
        _validator = null;
        bool enveloped = _sectionDepth > 0;
        _section = enveloped ? Section.Envelope : Section.Done;
        if (_documentNamespace is not null && _section == Section.Envelope) _section = Section.Envelope;
    }

    private void AddField(string path, string value, int line, int position)
    {
        var field = new Iso20022Field(path, value, line, position);
        if (_section == Section.Header) _headerFields!.Add(field);
        else _fields.Add(field);
    }

    private void OnValidationEvent(object? sender, ValidationEventArgs e)
    {
        if (e.Severity != XmlSeverityType.Error) return;
        _eventRaised = true;
        // What the content model would have accepted, taken while the validator still stands where it failed.
        if (_phase is Phase.Element or Phase.EndElement && _expected is null)
            _expected = SchemaMessages.Expected(_validator!);
        if (_phase == Phase.EndOfAttributes && _expected is null)
            _expected = MissingAttributes();
    }

    /// <summary>Required attributes of the current element's type that the start tag lacks.</summary>
    private List<string> MissingAttributes()
    {
        var missing = new List<string>();
        if (_info.SchemaType is not XmlSchemaComplexType complex) return missing;
        foreach (XmlSchemaAttribute a in complex.AttributeUses.Values)
            if (a.Use == XmlSchemaUse.Required && _reader.GetAttribute(a.QualifiedName.Name) is null) missing.Add(a.QualifiedName.Name);
        return missing;
    }

    private void Report(int depth, string? value = null, XmlSchemaAttribute? attribute = null)
    {
        _eventRaised = false;
        var expected = _expected;
        _expected = null;
        string parent = ParentName(depth);
        string message = _phase switch
        {
            Phase.Element => SchemaMessages.UnexpectedElement(_reader.LocalName, _reader.NamespaceURI, _documentNamespace, parent, expected),
            Phase.Attribute => SchemaMessages.BadAttribute(_currentAttribute, _currentName, value ?? "", attribute),
            Phase.EndOfAttributes => SchemaMessages.MissingAttributes(_currentName, expected),
            Phase.Text => SchemaMessages.TextNotAllowed(ParentOfText()),
            _ => SchemaMessages.AtEnd(_currentName, value, _types[depth], expected),
        };
        int line = _phase is Phase.Attribute or Phase.Text ? _lineInfo.LineNumber : _lines[depth];
        int position = _phase is Phase.Attribute or Phase.Text ? _lineInfo.LinePosition : _positions[depth];
        Fail(Iso20022ErrorKind.SchemaInvalid, line, position, message);
    }

    private string ParentName(int depth) => depth > 0 ? _names[depth - 1] : "(root)";

    private string ParentOfText() => _reader.Depth > 0 ? _names[_reader.Depth - 1] : "(root)";

    private void Fail(Iso20022ErrorKind kind, int line, int position, string message, bool stop = false)
    {
        if (Errors.Count == 0 || kind == Iso20022ErrorKind.Malformed) Kind = kind;
        Errors.Add(new Iso20022Error(line, position, message));
        if (stop || Errors.Count >= _errorsMax) throw new StopException();
    }

    private sealed class StopException : Exception;
}
