using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dataflow.Tools.Storage;

/// <summary>
/// A storage server from the npm tools folder (.tools/, installed by ./build.sh test), run on a free 127.0.0.1 port
/// with its own data folder, and stopped (the whole process tree) on dispose. Shared by the bench and the tests (the
/// test project compiles this file too).
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(string name, Process process, int port, string dataFolder)
    {
        Name = name;
        _process = process;
        Port = port;
        DataFolder = dataFolder;
    }

    public string Name { get; }

    public int Port { get; }

    public string DataFolder { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="tool"/> (a file in .tools/node_modules/.bin) with the arguments <paramref name="arguments"/> makes of (port, data folder).</summary>
    public static ServerProcess Start(string tool, string package, Func<int, string, string[]> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        string executable = Path.Combine(ToolsFolder(), "node_modules", ".bin", tool);
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"{package} is not installed: run ./build.sh test (it installs it into .tools/), or `npm install --prefix .tools {package}` in the repository root (needs Node.js: apt-get install nodejs npm). Looked for {executable}.");
        }

        string data = Path.Combine(Path.GetTempPath(), "dataflow-tests", tool + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = data };
            foreach (string a in arguments(port, data))
            {
                info.ArgumentList.Add(a);
            }

            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            {
                info.Environment[name] = value;
            }

            var process = Process.Start(info)!;
            var server = new ServerProcess(tool, process, port, data);
            process.OutputDataReceived += (_, e) => server.Append(e.Data);
            process.ErrorDataReceived += (_, e) => server.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (server.WaitListening(TimeSpan.FromSeconds(60)))
            {
                return server;
            }

            string log = server.Log;
            server.Dispose();
            if (attempt == 2)
            {
                throw new InvalidOperationException($"{tool} did not start listening on 127.0.0.1:{port}: {log}");
            }
        }
    }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Kills the server at once (a crash, as seen by its clients).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        string log = Log;
        if (log.Length > 0)
        {
            // What the server printed, for a failing test to be read after the run.
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "dataflow-tests", $"{Name}-{Port}.log"), log);
        }

        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The repository's .tools folder: the first folder up from the test binaries that holds build.sh.</summary>
    public static string ToolsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "build.sh")))
            {
                return Path.Combine(dir.FullName, ".tools");
            }
        }

        throw new InvalidOperationException($"No build.sh above {AppContext.BaseDirectory}: cannot find the .tools folder.");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private bool WaitListening(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        return false;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 20_000)
            {
                _log.AppendLine(line);
            }
        }
    }
}
