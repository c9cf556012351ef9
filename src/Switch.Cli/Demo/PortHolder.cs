using System.Globalization;

namespace Switch.Cli.Demo;

/// <summary>
/// Who listens on a TCP port (Linux /proc): the listening socket's inode from /proc/net/tcp and tcp6, then the process
/// whose file descriptors hold it. Best effort: processes this user may not inspect are not found.
/// </summary>
internal static class PortHolder
{
    /// <summary>Most processes scanned for the socket.</summary>
    private const int ProcessesMax = 10_000;

    /// <summary>" by pid N (command)" when found, otherwise an empty string.</summary>
    public static string Describe(int port)
    {
        try
        {
            string? inode = ListeningInode(port);
            if (inode is null) return "";
            string socket = $"socket:[{inode}]";
            foreach (string dir in Directory.EnumerateDirectories("/proc").Take(ProcessesMax))
            {
                string name = Path.GetFileName(dir);
                if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                if (Holds(dir, socket)) return $" by pid {pid} ({Command(dir)})";
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No /proc or not readable: the port is named without its holder.
        }
        return "";
    }

    private static string? ListeningInode(int port)
    {
        string hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (string line in File.ReadLines(table).Skip(1))
            {
                string[] cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // local_address is ADDR:PORT in hex; state 0A is LISTEN; column 9 is the inode.
                if (cols.Length > 9 && cols[1].EndsWith(":" + hexPort, StringComparison.Ordinal) && cols[3] == "0A") return cols[9];
            }
        }
        return null;
    }

    private static bool Holds(string processDir, string socket)
    {
        try
        {
            foreach (string fd in Directory.EnumerateFiles(Path.Combine(processDir, "fd")))
            {
                if (new FileInfo(fd).LinkTarget == socket) return true;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone, or another user's: not this one.
        }
        return false;
    }

    /// <summary>The program's name and its first argument (a verb such as `switch run`), never the whole command line: it may hold secrets.</summary>
    private static string Command(string processDir)
    {
        try
        {
            string[] args = File.ReadAllText(Path.Combine(processDir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            if (args.Length == 0) return File.ReadAllText(Path.Combine(processDir, "comm")).Trim();
            string program = Path.GetFileName(args[0]);
            string first = args.Length > 1 && args[1].Length <= 20 && args[1].All(char.IsAsciiLetterOrDigit) ? " " + args[1] : "";
            return program + first;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unknown command";
        }
    }
}
