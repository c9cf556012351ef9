using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Simulators.Hsm;

namespace Switch.Security.Tests;

/// <summary>Every shared public vector through the library on the software back end.</summary>
public sealed class PublicVectorTests
{
    public static TheoryData<string> Ids => VectorFile.Ids();

    [Fact]
    public void The_vector_file_holds_all_38_vectors() => Assert.Equal(38, VectorFile.Vectors.Count);

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task Software_back_end_reproduces_the_vector(string id)
    {
        CryptoVector v = VectorFile.Get(id);
        await using var module = new ComposedSecurityModule(new SoftwareCipherEngine());
        var output = await CryptoTool.RunAsync(module, v.Op, v.In, TestTimeout.Token);
        Assert.Equal(v.Out, output);
    }
}
