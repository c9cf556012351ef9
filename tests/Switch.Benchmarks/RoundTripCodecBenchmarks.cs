using Switch.Iso8583.Vocabulary;
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Network.Management;

namespace Switch.Benchmarks;

/// <summary>
/// The codec work inside one round trip of the network benchmark (its 0200/0210 pair), on one thread with
/// no sockets: what the connector and the acceptor must spend per round trip however the network layer is
/// built. Compared with the raw echo's CPU per round trip it bounds what the switch path can reach
/// (docs/benchmarks.md, Network).
/// </summary>
[MemoryDiagnoser]
public class RoundTripCodecBenchmarks
{
    private readonly MessageSpec _spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
    private readonly ArrayBufferWriter<byte> _writer = new(512);
    private IsoMessage _request = null!;
    private byte[] _requestBytes = null!;
    private byte[] _responseBytes = null!;

    /// <summary>Builds the benchmark's request and its encoded forms.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _request = NetworkBench.Request(1, 42);
        _requestBytes = _spec.Encode(_request);
        var served = _spec.Decode(_requestBytes, DecodeMode.Strict);
        _responseBytes = _spec.Encode(MessageTypes.Respond(served, ResponseCode.Approved));
    }

    /// <summary>Connector: encodes the 0200.</summary>
    [Benchmark]
    public int EncodeRequest()
    {
        _writer.ResetWrittenCount();
        return _spec.Encode(_request, _writer);
    }

    /// <summary>Acceptor: decodes the 0200 (strict, detached), builds and encodes the 0210.</summary>
    [Benchmark]
    public int ServeRequest()
    {
        var request = _spec.Decode(_requestBytes, DecodeMode.Strict).Detach();
        _writer.ResetWrittenCount();
        return _spec.Encode(MessageTypes.Respond(request, ResponseCode.Approved), _writer);
    }

    /// <summary>Connector: decodes the 0210 (strict, detached).</summary>
    [Benchmark]
    public IsoMessage DecodeResponse() => _spec.Decode(_responseBytes, DecodeMode.Strict).Detach();
}
