using System.Reflection;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace Dataflow.Pipeline.Decoding;

/// <summary>
/// Checks once per process that OpenCV's native library (<c>OpenCvSharpExtern</c>, from an OpenCvSharp runtime package)
/// loads, so that a missing runtime fails the build of a pipeline with what to add, instead of every decode of an epoch.
/// </summary>
internal static class OpenCvRuntime
{
    /// <summary>The native library OpenCvSharp binds to.</summary>
    public const string LibraryName = "OpenCvSharpExtern";

    private static readonly Lazy<Exception?> Failure = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Throws when the native library does not load; the first call loads it (once per process).</summary>
    /// <exception cref="DllNotFoundException">The library, or one of its dependencies, does not load: the message names the
    /// library, the runtime package for this platform and its version, and on Linux the GTK 3 it needs.</exception>
    public static void EnsureLoaded()
    {
        if (Failure.Value is Exception failure)
        {
            // A new exception per call: each caller's stack trace is its own; the cause is the loader's.
            throw new DllNotFoundException(failure.Message, failure.InnerException);
        }
    }

    /// <summary>The message for a native library that does not load, with <paramref name="cause"/>'s words.</summary>
    /// <param name="cause">What the loader said.</param>
    /// <param name="platform">The runtime identifier of this platform (<c>linux-x64</c>, <c>win-x64</c> …).</param>
    /// <param name="version">The version of the managed OpenCvSharp4 in use.</param>
    internal static string Describe(Exception cause, string platform, string version)
    {
        string? package = PackageFor(platform);
        string add = package is null
            ? $"No OpenCvSharp runtime package is published for {platform}: the runtime packages are OpenCvSharp4.runtime.win (Windows x64 and x86) and OpenCvSharp4.official.runtime.linux-x64 (Linux x64), version {version} (that of OpenCvSharp4); elsewhere, build {LibraryName} from OpenCvSharp's sources and put it on the library search path."
            : $"Add the runtime package for this platform ({platform}) to the application: {package} version {version} (the same version as OpenCvSharp4), as in: dotnet add package {package} --version {version}.";
        string gtk = platform.StartsWith("linux", StringComparison.Ordinal)
            ? $" On Linux, {LibraryName} needs GTK 3 as well: sudo apt-get install libgtk-3-0 (Debian, Ubuntu); ldd on libOpenCvSharpExtern.so lists any library still missing."
            : "";
        return $"OpenCV's native library {LibraryName} could not be loaded, so no image can be decoded ({cause.GetType().Name}: {cause.Message.Trim()}). {add}{gtk}";
    }

    /// <summary>The runtime package of the pinned OpenCvSharp version for <paramref name="platform"/>, or null where there is none.</summary>
    internal static string? PackageFor(string platform) => platform switch
    {
        "linux-x64" => "OpenCvSharp4.official.runtime.linux-x64",
        "win-x64" or "win-x86" => "OpenCvSharp4.runtime.win",
        _ => null,
    };

    /// <summary>This process's platform as a portable runtime identifier.</summary>
    internal static string Platform
    {
        get
        {
            string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            return OperatingSystem.IsLinux() ? $"linux-{arch}"
                : OperatingSystem.IsWindows() ? $"win-{arch}"
                : OperatingSystem.IsMacOS() ? $"osx-{arch}"
                : RuntimeInformation.RuntimeIdentifier;
        }
    }

    /// <summary>The version of the managed OpenCvSharp4 assembly loaded (its package version).</summary>
    internal static string ManagedVersion
    {
        get
        {
            Assembly assembly = typeof(Cv2).Assembly;
            string? informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            // "4.13.0.20260627-beta+<commit>": the package version is the part before the suffixes.
            string? version = informational?.Split('-', '+')[0];
            return string.IsNullOrEmpty(version) ? assembly.GetName().Version?.ToString() ?? "unknown" : version;
        }
    }

    private static Exception? Probe()
    {
        try
        {
            _ = Cv2.GetVersionString();
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            // OpenCvSharp's NativeMethods type initializer wraps the loader's exception: the inner one says what failed.
            Exception cause = e is TypeInitializationException { InnerException: { } inner } ? inner : e;
            return new DllNotFoundException(Describe(cause, Platform, ManagedVersion), cause);
        }
    }
}
