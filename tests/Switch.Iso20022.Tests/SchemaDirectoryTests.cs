using System.Diagnostics;
using Switch.Common.IO;

namespace Switch.Iso20022.Tests;

/// <summary>Schemas added from a directory: used when they are files, refused at once when they are not.</summary>
public sealed class SchemaDirectoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("switch-xsd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void An_xsd_dropped_in_the_directory_adds_its_message()
    {
        File.WriteAllText(Path.Combine(_dir, "test.001.001.01.xsd"), """
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:iso:std:iso:20022:tech:xsd:test.001.001.01"
                       xmlns="urn:iso:std:iso:20022:tech:xsd:test.001.001.01" elementFormDefault="qualified">
              <xs:element name="Document" type="xs:string"/>
            </xs:schema>
            """);
        var catalog = SchemaCatalog.WithDirectory(_dir);
        Assert.Contains("test.001.001.01", catalog.MessageNames);
        Assert.True(catalog.Supports("urn:iso:std:iso:20022:tech:xsd:test.001.001.01"));
        Assert.Equal(SchemaCatalog.BuiltIn.MessageNames.Count + 1, catalog.MessageNames.Count);
    }

    [Fact]
    public void A_fifo_named_like_a_schema_is_refused_without_waiting_for_a_writer()
    {
        string fifo = Path.Combine(_dir, "trap.001.001.01.xsd");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<BoundedFileException>(() => SchemaCatalog.WithDirectory(_dir));
        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the FIFO was opened and waited on");
    }

    [Fact]
    public void A_schema_file_over_the_limit_is_refused()
    {
        string big = Path.Combine(_dir, "big.001.001.01.xsd");
        using (var stream = File.Create(big)) stream.SetLength(SchemaCatalog.SchemaFileBytesMax + 1);
        var ex = Assert.Throws<BoundedFileException>(() => SchemaCatalog.WithDirectory(_dir));
        Assert.Contains($"larger than the limit of {SchemaCatalog.SchemaFileBytesMax} bytes", ex.Message, StringComparison.Ordinal);
    }
}
