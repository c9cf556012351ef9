namespace Switch.Security.Tests;

/// <summary>Bad input gives exit code 1 and exactly one line on stderr that says what is wrong (HSM-CONTRACT "Bad input").</summary>
public sealed class BadInputTests
{
    public static TheoryData<string[], string> Cases => new()
    {
        { ["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9AB9G", "--alg", "tdes"], "not hex" },
        { ["crypto", "kcv", "--key", "7272FD5E9345D456", "--alg", "tdes"], "16 or 24 bytes" },
        { ["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9AB", "--alg", "aes"], "16, 24 or 32 bytes" },
        { ["crypto", "pinblock-decode", "--format", "0", "--block", "05134DBD67E77B", "--pan", "4690592981884714"], "must be 8 bytes" },
        { ["crypto", "pinblock-decode", "--format", "4", "--block", "1EABF705A5C3139C5551D3B3117ABF", "--pan", "4690592981884714", "--key", "2DCFF37ABE108964E28FEE514E30FC18"], "must be 16 bytes" },
        // A clear format 0 block whose length nibble is 3 (PIN field 03 123F…).
        { ["crypto", "pinblock-decode", "--format", "1", "--block", "13123FFFFFFFFFFF"], "outside 4-12" },
        { ["crypto", "pinblock-decode", "--format", "1", "--block", "1D123FFFFFFFFFFF"], "outside 4-12" },
        { ["crypto", "pinblock-encode", "--format", "0", "--pin", "123", "--pan", "4690592981884714"], "4 to 12 digits" },
        { ["crypto", "pinblock-encode", "--format", "0", "--pin", "1234567890123", "--pan", "4690592981884714"], "4 to 12 digits" },
        { ["crypto", "pinblock-encode", "--format", "0", "--pin", "12a4", "--pan", "4690592981884714"], "only digits" },
        { ["crypto", "pinblock-encode", "--format", "0", "--pin", "1234", "--pan", "46905929818847A4"], "pan: must contain only digits" },
        { ["crypto", "pinblock-translate", "--from-key", "FD2C1F8DD5950801F97896E143A544D3", "--to-key", "022BB21ECDE7A47F621FA7A97FD1676C", "--block", "A5F4EC8ABAE7E43F", "--pan", "4690592981884714", "--format", "0"], "wrong key" },
        { ["crypto", "dukpt-tdes", "--bdk", "0123456789ABCDEFFEDCBA9876543210", "--ksn", "FFFF9876543210E000"], "10 bytes" },
        { ["crypto", "dukpt-aes", "--bdk", "FEDCBA9876543210F1F1F1F1F1F1F1F1", "--ksn", "1234567890123456000000", "--key-type", "aes128"], "12 bytes" },
        { ["crypto", "dukpt-aes", "--bdk", "FEDCBA9876543210F1F1F1F1F1F1F1F1", "--ksn", "123456789012345600000001", "--key-type", "aes256"], "needs a 32-byte BDK" },
        { ["crypto", "mac", "--alg", "iso9797-1-alg3", "--key", "09DF4561A0FD4079634A6D372405033E", "--data", "F9297"], "odd number" },
        { ["crypto", "mac-verify", "--alg", "iso9797-1-alg3", "--padding", "2", "--key", "C99DC32C25B6260190036CD97EDB88DD", "--data", "962EAA2CE763", "--mac", "824F270ABC8B3D88"], "verification failed" },
        { ["crypto", "cvv-verify", "--cvk", "98E99D4AA9BBB30476373827551E3179", "--pan", "4642711594932", "--expiry", "2604", "--service-code", "201", "--cvv", "669"], "verification failed" },
        { ["crypto", "cvv", "--cvk", "98E99D4AA9BBB30476373827551E3179", "--pan", "4642711594932", "--expiry", "26041", "--service-code", "201"], "expiry" },
        { ["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9AB9F", "--alg", "tdes", "--backend", "quantum"], "--backend" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_exits_1_with_one_line_on_stderr(string[] args, string expected)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        string[] lines = result.Stderr.TrimEnd().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_is_not_hex_is_not_echoed_in_the_error()
    {
        var result = CliRunner.Run(["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9ABZZ", "--alg", "tdes"]);
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("7272FD5E", result.Stderr, StringComparison.Ordinal);
    }
}
