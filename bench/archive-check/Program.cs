// Usage: dotnet run -c Release --project bench/archive-check -- ARCHIVE.pt [iterations]
// (bench/archive-check/run.sh makes a TorchScript ResNet-50 with PyTorch and runs this on it.)
// Prints, side by side and in one run: the integrity check Import-Model makes before libtorch reads the archive
// (zip structure + CRC-32 of every member, System.IO.Hashing), the same CRC-32 by slicing by 8 and by the plain table
// loop, and Import-Model's whole load of the archive (which includes the check).
using System.Diagnostics;
using System.IO.Compression;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;

if (args.Length < 1) { Console.Error.WriteLine("usage: CondensaPS.Bench.ArchiveCheck ARCHIVE.pt [iterations]"); return 2; }
var path = Path.GetFullPath(args[0]);
int iterations = args.Length > 1 ? int.Parse(args[1]) : 7;
TorchRuntime.EnsureInitialized();
long bytes = new FileInfo(path).Length;
long members = 0, memberBytes = 0;
using (var zip = ZipFile.OpenRead(path)) foreach (var e in zip.Entries) { members++; memberBytes += e.Length; }

double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
double Time(Action a) { var w = Stopwatch.StartNew(); a(); return w.Elapsed.TotalMilliseconds; }

var contents = new List<byte[]>();
using (var zip = ZipFile.OpenRead(path))
    foreach (var e in zip.Entries) { using var s = e.Open(); var b = new byte[e.Length]; s.ReadExactly(b); contents.Add(b); }
uint TableCrc(byte[] data)
{
    uint crc = 0xFFFFFFFFu;
    foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

// Warm-up (page cache, JIT, libtorch).
ArchiveIntegrity.Verify(path);
ModelLoader.Load(path, new ModelLoadOptions()).Dispose();
var check = new List<double>(); var table = new List<double>(); var sliced = new List<double>(); var vectorized = new List<double>(); var load = new List<double>();
for (int i = 0; i < iterations; i++)
{
    check.Add(Time(() => ArchiveIntegrity.Verify(path)));
    vectorized.Add(Time(() => { foreach (var c in contents) System.IO.Hashing.Crc32.HashToUInt32(c); }));
    sliced.Add(Time(() => { foreach (var c in contents) Crc32.Append(0, c); }));
    table.Add(Time(() => { foreach (var c in contents) TableCrc(c); }));
    load.Add(Time(() => ModelLoader.Load(path, new ModelLoadOptions()).Dispose()));
}
double mb = memberBytes / 1e6;
Console.WriteLine($"archive {Path.GetFileName(path)}: {bytes:N0} bytes, {members} members holding {memberBytes:N0} bytes; median of {iterations} after warm-up; threads {TorchRuntime.Threads}; {Environment.ProcessorCount} CPUs");
Console.WriteLine();
Console.WriteLine("| step | median ms | MB/s of member data |");
Console.WriteLine("|---|---:|---:|");
Console.WriteLine($"| integrity check (structure + CRC-32 of every member, read from the file) | {Median(check):F1} | {mb / Median(check) * 1000:N0} |");
Console.WriteLine($"| CRC-32 alone, System.IO.Hashing (in memory) | {Median(vectorized):F1} | {mb / Median(vectorized) * 1000:N0} |");
Console.WriteLine($"| CRC-32 alone, slicing by 8 (Crc32.Append, as the archive writer streams) | {Median(sliced):F1} | {mb / Median(sliced) * 1000:N0} |");
Console.WriteLine($"| CRC-32 alone, the table loop the compact format used before (in memory) | {Median(table):F1} | {mb / Median(table) * 1000:N0} |");
Console.WriteLine($"| Import-Model of the archive (check included) | {Median(load):F1} | |");
Console.WriteLine();
Console.WriteLine($"The check is {Median(check) / Median(load):P1} of the load; slicing by 8 takes {Median(sliced) / Median(vectorized):F1}x and the table loop {Median(table) / Median(vectorized):F1}x the vectorized CRC's time.");
return 0;

partial class Program
{
    internal static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }
}
