using System.Buffers.Binary;
using System.Numerics;

namespace Switch.Journal.Spool;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of spool records. System.IO.Hashing (10.x) offers CRC-32 and CRC-64 but not
/// the Castagnoli polynomial, so this uses <see cref="BitOperations.Crc32C(uint, ulong)"/>, which is the SSE4.2 / ARMv8
/// instruction where present and a software table otherwise.
/// </summary>
public static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/> ("123456789" → 0xE3069283).</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
