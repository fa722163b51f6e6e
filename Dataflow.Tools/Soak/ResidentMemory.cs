using System.Diagnostics;
using System.Globalization;

namespace Dataflow.Tools.Soak;

/// <summary>The process's resident memory now and at its peak, from /proc/self/status (VmRSS, VmHWM) or the process counters.</summary>
/// <param name="CurrentMiB">Resident set now.</param>
/// <param name="PeakMiB">The largest resident set so far (high-water mark).</param>
internal readonly record struct ResidentMemory(double CurrentMiB, double PeakMiB)
{
    private const string Status = "/proc/self/status";

    /// <summary>Reads both figures.</summary>
    public static ResidentMemory Read()
    {
        if (File.Exists(Status))
        {
            double rss = 0, hwm = 0;
            foreach (string line in File.ReadLines(Status))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = KiB(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = KiB(line);
                }
            }

            return new ResidentMemory(rss / 1024, hwm / 1024);
        }

        using Process self = Process.GetCurrentProcess();
        return new ResidentMemory(self.WorkingSet64 / 1048576.0, self.PeakWorkingSet64 / 1048576.0);
    }

    // "VmRSS:\t  123456 kB"
    private static double KiB(string line) => double.Parse(line[(line.IndexOf(':') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
