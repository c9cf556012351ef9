using System.Buffers;
using Switch.Core.MasterData;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Security.Backends;
using Switch.Simulators.Card;

namespace Switch.Simulators.Load;

/// <summary>
/// The cards a run draws from: the demo cards A–F, or the first N generated cards (<see cref="GeneratedCards"/>: PANs
/// computed from the index, PIN and expiry shared). Generated profiles are computed per draw, not held: a million
/// cards would otherwise be hundreds of megabytes of strings.
/// </summary>
public sealed class LoadCards
{
    private readonly CardProfile[]? _demo;

    /// <summary>0: the demo cards; N: generated cards 0 to N − 1.</summary>
    public LoadCards(int generated)
    {
        if (generated is < 0 or > GeneratedCards.CountMax) throw new ArgumentException($"cards: must be 0 to {GeneratedCards.CountMax}");
        Count = generated;
        if (generated == 0)
        {
            _demo = [.. DemoDataSet.All.Cards.Select(c => CardProfile.Demo(c.Letter))];
            Count = _demo.Length;
        }
    }

    /// <summary>How many cards there are to draw from.</summary>
    public int Count { get; }

    /// <summary>True for the demo cards (their track 2 is in the data set), false for generated ones.</summary>
    public bool Demo => _demo is not null;

    /// <summary>Demo card <paramref name="index"/> (0 to <see cref="Count"/> − 1).</summary>
    public CardProfile DemoCard(int index) => _demo![index];

    /// <summary>
    /// Generated card <paramref name="index"/> with its track 2 as the switch checks it: PAN, expiry, service code, PVKI,
    /// PVV (discretionary here: the switch verifies the PIN against the stored PVV) and the CVV under the on-us CVK.
    /// </summary>
    public static CardProfile Generated(int index, SimCrypto crypto, KeyHandle cvk)
    {
        var all = DemoDataSet.All;
        string pan = GeneratedCards.Pan(index);
        Span<char> cvv = stackalloc char[3];
        crypto.CardVerificationValue(cvk, pan, GeneratedCards.Expiry, all.ServiceCode, cvv);
        string track2 = string.Concat(pan, "=", GeneratedCards.Expiry, all.ServiceCode, all.Pvki.ToString(System.Globalization.CultureInfo.InvariantCulture), "0000", cvv.ToString(), "00000");
        return new CardProfile(pan, GeneratedCards.Expiry, all.ServiceCode, track2, GeneratedCards.Pin);
    }
}

/// <summary>
/// Builds and encodes one connection's requests on the POS terminal's fields (<see cref="PosMessages"/>) with the keys
/// imported once (<see cref="SimCrypto.ImportTdes"/>), one encode per message and the MAC written into the encoded
/// bytes in place. One instance per connection: it is not thread-safe.
/// </summary>
internal sealed class LoadRequests : IDisposable
{
    private readonly SimCrypto _crypto = new();
    private readonly PosTerminalKeys _terminal;
    private readonly KeyHandle? _tpk;
    private readonly KeyHandle? _tak;
    private readonly KeyHandle _cvk;
    private readonly LoadCards _cards;
    private readonly string _currency = DemoDataSet.Currency.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
    private readonly ScratchWriter _scratch = new();
    private readonly Random _random;

    public LoadRequests(MessageSpec spec, PosTerminalKeys terminal, LoadCards cards, int seed)
    {
        Spec = spec;
        _terminal = terminal;
        _cards = cards;
        _random = new Random(seed);
        if (terminal.PinKeyHex is null) throw new ArgumentException($"terminal {terminal.TerminalId} has no PIN key: the load generator sends PINs");
        _tpk = _crypto.ImportTdes(terminal.PinKeyHex);
        if (terminal.MacRequired) _tak = _crypto.ImportTdes(terminal.MacKeyHex!);
        _cvk = _crypto.ImportTdes(DemoKeys.ClearHex(DemoDataSet.All.OnUsProfile.CvkRef, "cvk"));
    }

    public MessageSpec Spec { get; }

    /// <summary>A draw 0–99 for the mix.</summary>
    public int Draw() => _random.Next(100);

    /// <summary>A purchase, withdrawal or inquiry on a random card, with the PIN under the TPK.</summary>
    public IsoMessage Financial(LoadKind kind, DateTime now, string stan)
    {
        int index = _random.Next(_cards.Count);
        var card = _cards.Demo ? _cards.DemoCard(index) : LoadCards.Generated(index, _crypto, _cvk);
        (string pc, long amount) = kind switch
        {
            LoadKind.Withdrawal => ("01", 2_000L * _random.Next(1, 11)),
            LoadKind.Inquiry => ("31", 0L),
            _ => ("00", (long)_random.Next(100, 10_000)),
        };
        var m = Spec.NewMessage("0200");
        PosMessages.SetRequest(m, pc, amount, card, now, stan, _terminal.TerminalId, _terminal.MerchantId, _currency, acquirerId: null);
        Span<byte> block = stackalloc byte[8];
        _crypto.EncipherPinBlock0(_tpk!, card.Pin!, card.Pan, block);
        m.SetBinary(52, block);
        return m;
    }

    /// <summary>An 0400 reversing <paramref name="original"/>.</summary>
    public IsoMessage Reversal(IsoMessage original, DateTime now, string stan)
    {
        var m = Spec.NewMessage("0400");
        PosMessages.SetReversal(m, original, now, stan);
        return m;
    }

    /// <summary>Encodes the message (with its MAC when the terminal MACs) and writes it as one frame.</summary>
    public void WriteFrame(IsoMessage m, FrameWriter frames)
    {
        if (_tak is not null) SimCrypto.PrepareMacField(m);
        _scratch.Reset();
        Spec.Encode(m, _scratch);
        if (_tak is not null) _crypto.MacInPlace(_tak, _scratch.Written, Spec.HeaderLength);
        frames.Write(_scratch.Written);
    }

    public void Dispose()
    {
        _tpk?.Dispose();
        _tak?.Dispose();
        _cvk.Dispose();
        _crypto.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

/// <summary>A batch of frames for one send: framing prefix and header per message, one pooled buffer reused per batch.</summary>
internal sealed class FrameWriter(Switch.Transport.Framing.FrameFormat format, byte[] header)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    public int Count { get; private set; }

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public void Write(ReadOnlySpan<byte> message)
    {
        format.WriteFrame(_buffer, header, message);
        Count++;
    }

    public void Reset()
    {
        _buffer.ResetWrittenCount();
        Count = 0;
    }
}

/// <summary>A reusable encode buffer whose written bytes stay writable (the MAC goes into them in place).</summary>
internal sealed class ScratchWriter : IBufferWriter<byte>
{
    private byte[] _buffer = new byte[1024];
    private int _written;

    public Span<byte> Written => _buffer.AsSpan(0, _written);

    public void Reset() => _written = 0;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        int need = _written + Math.Max(sizeHint, 1);
        if (need <= _buffer.Length) return;
        // Bounded by the spec's largest message (64 KiB): the encoder refuses anything bigger.
        Array.Resize(ref _buffer, Math.Max(need, _buffer.Length * 2));
    }
}
