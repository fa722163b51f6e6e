using System.Net;
using System.Net.Sockets;

namespace Dataflow.Pipeline.Tests.Storage;

/// <summary>
/// An HTTP proxy on a free 127.0.0.1 port in front of a storage server: every request goes through unchanged, except
/// GETs of the objects made to fail: answered with an error status (as the server would, with the error code in both
/// the S3 XML body and Azure's <c>x-ms-error-code</c> header), dropped before the body, or answered with half of the
/// body and then cut or stalled (the connection left open, no more bytes).
/// </summary>
internal sealed class FaultProxy : IDisposable
{
    private static readonly HashSet<string> Hop = new(StringComparer.OrdinalIgnoreCase) { "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Expect", "Proxy-Connection" };

    private readonly HttpListener _listener = new();
    private readonly HttpClient _client = new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, AllowAutoRedirect = false, UseProxy = false });
    private readonly string _target;
    private readonly Dictionary<string, (int Status, string Code)> _broken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _refused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Mischief Kind, int Left)> _mischief = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _gets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _bodyBytes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FaultProxy(string target)
    {
        _target = target.TrimEnd('/');
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 3)
            {
            }
        }

        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>The proxy's address, to use in place of the server's.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>GET requests of <paramref name="key"/> answered with an error so far.</summary>
    public int Refused(string key)
    {
        lock (_broken)
        {
            return _refused.GetValueOrDefault("/" + key);
        }
    }

    /// <summary>From now on every GET whose path ends with <c>/<paramref name="key"/></c> is answered <paramref name="status"/> (500 InternalError or 503 ServerBusy).</summary>
    public void Break(string key, int status)
    {
        lock (_broken)
        {
            _broken["/" + key] = (status, status == 503 ? "ServerBusy" : "InternalError");
        }
    }

    /// <summary>What is done to a GET instead of answering it whole.</summary>
    public enum Mischief
    {
        /// <summary>
        /// The headers are sent, then the connection is closed before any byte of the body (a server that went away: an
        /// HTTP listener cannot close a connection before its headers, it sends them as it closes).
        /// </summary>
        Drop,

        /// <summary>The headers and half of the body are sent, then the connection is closed.</summary>
        Cut,

        /// <summary>The headers and half of the body are sent, then nothing more while the connection stays open (until the client closes it or the proxy is disposed).</summary>
        Stall,

        /// <summary>Nothing is answered, not even the headers, while the connection stays open (a server that accepts and never replies).</summary>
        Hang,
    }

    /// <summary>
    /// The next <paramref name="times"/> GETs of <paramref name="key"/> (a path ending with <c>/key</c>; a key ending with
    /// <c>/</c> names every object under that prefix) get <paramref name="kind"/>; then they go through again.
    /// </summary>
    public void Misbehave(string key, Mischief kind, int times = int.MaxValue)
    {
        lock (_broken)
        {
            _mischief["/" + key] = (kind, times);
        }
    }

    /// <summary>GETs of objects under a <see cref="Misbehave"/> rule seen so far (whether or not it still applied).</summary>
    public int Gets(string key)
    {
        lock (_broken)
        {
            return _gets.GetValueOrDefault("/" + key);
        }
    }

    /// <summary>Bytes of the GET bodies the proxy passed on so far for objects whose path contains <c>/<paramref name="prefix"/></c>.</summary>
    public long BodyBytes(string prefix)
    {
        lock (_broken)
        {
            return _bodyBytes.Where(b => b.Key.Contains("/" + prefix, StringComparison.Ordinal)).Sum(b => b.Value);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private static bool Matches(string path, string rule) =>
        path.EndsWith(rule, StringComparison.Ordinal) || (rule.EndsWith('/') && path.Contains(rule, StringComparison.Ordinal));

    /// <summary>The mischief due for this request, counted, if a rule applies.</summary>
    private Mischief? Due(string method, string path)
    {
        lock (_broken)
        {
            if (method != "GET" || _mischief.FirstOrDefault(m => Matches(path, m.Key)) is not { Key: not null } hit)
            {
                return null;
            }

            _gets[hit.Key] = _gets.GetValueOrDefault(hit.Key) + 1;
            if (hit.Value.Left <= 0)
            {
                return null;
            }

            _mischief[hit.Key] = (hit.Value.Kind, hit.Value.Left == int.MaxValue ? int.MaxValue : hit.Value.Left - 1);
            return hit.Value.Kind;
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        HttpListenerResponse response = context.Response;
        try
        {
            string path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
            (int Status, string Code)? fault = null;
            lock (_broken)
            {
                if (request.HttpMethod == "GET" && _broken.FirstOrDefault(b => path.EndsWith(b.Key, StringComparison.Ordinal)) is { Key: not null } hit)
                {
                    fault = hit.Value;
                    _refused[hit.Key] = _refused.GetValueOrDefault(hit.Key) + 1;
                }
            }

            if (fault is (int status, string code))
            {
                byte[] body = System.Text.Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>Injected by the test's proxy.</Message><RequestId>1</RequestId></Error>");
                response.StatusCode = status;
                response.ContentType = "application/xml";
                response.Headers["x-ms-error-code"] = code;
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body);
                response.Close();
                return;
            }

            Mischief? mischief = Due(request.HttpMethod, path);
            if (mischief == Mischief.Hang)
            {
                // Held until the proxy is disposed (or a minute, whichever is first): the client's timeout ends it first.
                await Task.Delay(TimeSpan.FromMinutes(1), _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                response.Abort();
                return;
            }

            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), _target + request.RawUrl);
            if (request.HasEntityBody || request.ContentLength64 > 0)
            {
                forward.Content = new StreamContent(request.InputStream);
                forward.Content.Headers.ContentLength = request.ContentLength64;
            }

            foreach (string? name in request.Headers.AllKeys)
            {
                if (name is null || Hop.Contains(name))
                {
                    continue;
                }

                string[] values = request.Headers.GetValues(name) ?? [];
                if (!forward.Headers.TryAddWithoutValidation(name, values))
                {
                    forward.Content ??= new ByteArrayContent([]);
                    forward.Content.Headers.TryAddWithoutValidation(name, values);
                }
            }

            using HttpResponseMessage answer = await _client.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead);
            response.StatusCode = (int)answer.StatusCode;
            foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            {
                if (!Hop.Contains(name))
                {
                    response.Headers[name] = string.Join(",", values);
                }
            }

            if (answer.Content.Headers.ContentLength is long length)
            {
                response.ContentLength64 = length;
            }

            if (mischief is Mischief kind && answer.Content.Headers.ContentLength is long whole && whole > 1)
            {
                byte[] body = await answer.Content.ReadAsByteArrayAsync();
                await response.OutputStream.WriteAsync(body.AsMemory(0, kind == Mischief.Drop ? 0 : body.Length / 2));
                await response.OutputStream.FlushAsync();
                if (kind == Mischief.Stall)
                {
                    // Held until the proxy is disposed (or a minute, whichever is first): the client's timeout ends it first.
                    await Task.Delay(TimeSpan.FromMinutes(1), _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }

                response.Abort();
                return;
            }

            await answer.Content.CopyToAsync(response.OutputStream);
            response.Close();
            if (request.HttpMethod == "GET" && answer.Content.Headers.ContentLength is long sent)
            {
                lock (_broken)
                {
                    _bodyBytes[path] = _bodyBytes.GetValueOrDefault(path) + sent;
                }
            }
        }
        catch (Exception)
        {
            response.Abort(); // the client sees a dropped connection, as from a failing server
        }
    }
}
