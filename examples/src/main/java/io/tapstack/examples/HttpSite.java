package io.tapstack.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the HTTP server serves: {@code /stats} (the stack's counters as JSON or HTML), static files from a root
 * directory, or without one a small built-in page. Only GET and HEAD; a path with a {@code ..} segment is
 * refused before it comes near the file system, and a symbolic link out of the root is refused after.
 */
final class HttpSite
{
    /** Methods RFC 9110 defines: answered 405 here; any other is 501 (RFC 9110 §9.1). */
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
        "OPTIONS", "TRACE", "PATCH");
    private static final String ALLOW = "GET, HEAD";
    private static final int MAX_LISTING = 10_000;
    private static final Map<String, String> TYPES = Map.ofEntries(
        Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
        Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
        Map.entry("mjs", "text/javascript; charset=utf-8"), Map.entry("json", "application/json"),
        Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
        Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("xml", "application/xml"),
        Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
        Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"),
        Map.entry("ico", "image/x-icon"), Map.entry("pdf", "application/pdf"), Map.entry("wasm", "application/wasm"),
        Map.entry("woff2", "font/woff2"), Map.entry("mp4", "video/mp4"), Map.entry("zip", "application/zip"),
        Map.entry("gz", "application/gzip"), Map.entry("tar", "application/x-tar"),
        Map.entry("pcap", "application/vnd.tcpdump.pcap"));

    private final Path root;
    private final Supplier<Map<String, Long>> stackCounters;
    private final Map<String, String> stackInfo;
    private final HttpStats stats;
    /** The live TCP connections of /stats/connections.json, or null where there are none to show. */
    private final HttpConnectionStats connections;

    HttpSite(final Path root, final Supplier<Map<String, Long>> stackCounters, final Map<String, String> stackInfo,
        final HttpStats stats)
    {
        this(root, stackCounters, stackInfo, stats, null);
    }

    /**
     * @param root the directory to serve (a real path), or null for the built-in page
     * @param stackInfo address, MAC, TAP name: shown on the pages
     * @param connections the stack's TCP connections for /stats, or null (the page's table stays empty)
     */
    HttpSite(final Path root, final Supplier<Map<String, Long>> stackCounters, final Map<String, String> stackInfo,
        final HttpStats stats, final HttpConnectionStats connections)
    {
        this.root = root;
        this.stackCounters = stackCounters;
        this.stackInfo = stackInfo;
        this.stats = stats;
        this.connections = connections;
    }

    HttpResponse respond(final HttpRequest request) throws IOException
    {
        final String method = request.method();
        if (!"GET".equals(method) && !"HEAD".equals(method))
        {
            if (KNOWN_METHODS.contains(method))
            {
                return HttpResponse.error(405, method + " is not allowed here; GET and HEAD are.").header("Allow", ALLOW);
            }
            return HttpResponse.error(501, "unknown method").header("Allow", ALLOW);
        }
        final String rawPath;
        final String path;
        try
        {
            rawPath = rawPath(request.target());
            path = percentDecode(rawPath);
        }
        catch (final IllegalArgumentException ex)
        {
            return HttpResponse.error(400, ex.getMessage()).closeAfter();
        }
        final String[] segments = path.split("/", -1);
        for (final String segment : segments)
        {
            if ("..".equals(segment))
            {
                return HttpResponse.error(403, "a path with '..' is refused");
            }
        }
        if ("/stats.json".equals(path))
        {
            return statsJson();
        }
        if ("/stats/connections.json".equals(path))
        {
            final String body = connections != null ? connections.json() : HttpConnectionStats.NONE_JSON;
            return HttpResponse.of(200, "application/json", body).header("Cache-Control", "no-store");
        }
        if ("/stats".equals(path))
        {
            final String accept = request.header("accept");
            final boolean json = accept != null && accept.toLowerCase(Locale.ROOT).contains("application/json")
                && !accept.toLowerCase(Locale.ROOT).contains("text/html");
            return (json ? statsJson() : statsHtml()).header("Vary", "Accept");
        }
        if (root == null)
        {
            if ("/".equals(path) || "/index.html".equals(path))
            {
                return HttpResponse.of(200, "text/html; charset=utf-8", builtInIndex());
            }
            return HttpResponse.error(404, "nothing at " + path);
        }
        return file(rawPath, segments);
    }

    /** The path part of an origin-form or absolute-form target (RFC 9112 §3.2), still %-encoded. */
    static String rawPath(final String target)
    {
        String t = target;
        final int scheme = t.indexOf("://");
        if (scheme > 0 && t.regionMatches(true, 0, "http", 0, 4))
        {
            final int slash = t.indexOf('/', scheme + 3);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        if (!t.startsWith("/"))
        {
            throw new IllegalArgumentException("the request target must be a path starting with '/'");
        }
        final int query = t.indexOf('?');
        if (query >= 0)
        {
            t = t.substring(0, query);
        }
        final int fragment = t.indexOf('#');
        return fragment >= 0 ? t.substring(0, fragment) : t;
    }

    /** RFC 3986 §2.1 percent-decoding as UTF-8; a bad escape or an encoded NUL is refused. */
    static String percentDecode(final String s)
    {
        if (s.indexOf('%') < 0)
        {
            return s;
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (c == '%')
            {
                if (i + 2 >= s.length())
                {
                    throw new IllegalArgumentException("a '%' escape is cut short");
                }
                final int hi = Character.digit(s.charAt(i + 1), 16);
                final int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0)
                {
                    throw new IllegalArgumentException("a '%' escape is not two hex digits");
                }
                final int b = hi * 16 + lo;
                if (b == 0)
                {
                    throw new IllegalArgumentException("an encoded NUL is refused");
                }
                out.write(b);
                i += 2;
            }
            else
            {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private HttpResponse file(final String rawPath, final String[] segments) throws IOException
    {
        Path p = root;
        for (final String segment : segments)
        {
            if (!segment.isEmpty() && !".".equals(segment))
            {
                p = p.resolve(segment);
            }
        }
        if (!p.normalize().startsWith(root))
        {
            return HttpResponse.error(404, "nothing at " + rawPath);
        }
        final Path real;
        try
        {
            real = p.toRealPath(); // follows links, so that the check below sees where they lead
        }
        catch (final IOException ex) // missing, or a dangling link
        {
            return HttpResponse.error(404, "nothing at " + rawPath);
        }
        if (!real.startsWith(root))
        {
            return HttpResponse.error(403, "a link out of the served directory is refused");
        }
        if (Files.isDirectory(real))
        {
            if (!rawPath.endsWith("/"))
            {
                // relative links on the page resolve against the directory only with the slash
                return HttpResponse.error(301, "moved to " + rawPath + "/").header("Location", rawPath + "/");
            }
            final Path index = real.resolve("index.html");
            if (Files.isRegularFile(index) && Files.isReadable(index))
            {
                return open(index);
            }
            return HttpResponse.of(200, "text/html; charset=utf-8", listing(real, rawPath));
        }
        if (!Files.isRegularFile(real) || !Files.isReadable(real))
        {
            return HttpResponse.error(403, "not a readable file");
        }
        return open(real);
    }

    private static HttpResponse open(final Path file) throws IOException
    {
        final FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        final long size;
        try
        {
            size = channel.size();
        }
        catch (final IOException ex)
        {
            channel.close();
            throw ex;
        }
        return HttpResponse.file(channel, size, contentType(file.getFileName().toString()))
            .header("Last-Modified", HttpResponse.HTTP_DATE.format(Files.getLastModifiedTime(file).toInstant()));
    }

    static String contentType(final String fileName)
    {
        final int dot = fileName.lastIndexOf('.');
        final String type = dot < 0 ? null : TYPES.get(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
        return type != null ? type : "application/octet-stream";
    }

    private String listing(final Path dir, final String rawPath) throws IOException
    {
        final List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir))
        {
            for (final Path entry : entries)
            {
                if (names.size() >= MAX_LISTING)
                {
                    break;
                }
                names.add(entry.getFileName().toString() + (Files.isDirectory(entry) ? "/" : ""));
            }
        }
        names.sort(null);
        final StringBuilder sb = new StringBuilder();
        final String title = "Index of " + escapeHtml(percentDecode(rawPath));
        sb.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(title)
            .append("</title></head>\n<body><h1>").append(title).append("</h1>\n<ul>\n");
        if (!"/".equals(rawPath))
        {
            sb.append("<li><a href=\"../\">../</a></li>\n");
        }
        for (final String name : names)
        {
            sb.append("<li><a href=\"").append(escapeHtml(percentEncode(name))).append("\">")
                .append(escapeHtml(name)).append("</a></li>\n");
        }
        sb.append("</ul>\n<hr><p><a href=\"/stats\">stack counters</a> · tapstack</p></body></html>\n");
        return sb.toString();
    }

    private String builtInIndex()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tapstack</title></head>\n<body>\n")
            .append("<h1>Hello from tapstack</h1>\n")
            .append("<p>This page came over a TCP/IP stack written in Java, running in user space on a TAP device")
            .append(" (").append(escapeHtml(stackInfo.getOrDefault("tap", "?"))).append(", ")
            .append(escapeHtml(stackInfo.getOrDefault("ip", "?"))).append(").</p>\n<ul>\n")
            .append("<li><a href=\"/stats\">/stats</a>: the stack's counters</li>\n")
            .append("<li><a href=\"/stats.json\">/stats.json</a>: the same as JSON</li>\n")
            .append("<li><a href=\"/stats/connections.json\">/stats/connections.json</a>: live TCP connections</li>\n")
            .append("</ul>\n<p>Start the server with <code>--root DIR</code> to serve files instead.</p>\n")
            .append("</body></html>\n");
        return sb.toString();
    }

    private HttpResponse statsJson()
    {
        final StringBuilder sb = new StringBuilder(4096);
        sb.append("{\n  \"stack\": {");
        boolean first = true;
        for (final Map.Entry<String, String> e : stackInfo.entrySet())
        {
            sb.append(first ? "" : ", ").append(jsonString(e.getKey())).append(": ").append(jsonString(e.getValue()));
            first = false;
        }
        sb.append("},\n  \"uptime_ms\": ").append(stats.uptimeMs()).append(",\n  \"http\": ");
        appendJsonObject(sb, stats.snapshot());
        sb.append(",\n  \"counters\": ");
        appendJsonObject(sb, stackCounters.get());
        sb.append("\n}\n");
        return HttpResponse.of(200, "application/json", sb.toString()).header("Cache-Control", "no-store");
    }

    private static void appendJsonObject(final StringBuilder sb, final Map<String, Long> values)
    {
        sb.append('{');
        boolean first = true;
        for (final Map.Entry<String, Long> e : values.entrySet())
        {
            sb.append(first ? "\n    " : ",\n    ").append(jsonString(e.getKey())).append(": ").append(e.getValue());
            first = false;
        }
        sb.append("\n  }");
    }

    private HttpResponse statsHtml()
    {
        final StringBuilder sb = new StringBuilder(8192);
        sb.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">")
            .append("<title>tapstack counters</title>\n")
            .append("<style>body{font-family:sans-serif}td{padding:0 1em}td.n{text-align:right;")
            .append("font-family:monospace}table.connections{font-size:90%}")
            .append("table.connections td{font-family:monospace;text-align:right;padding:0 .5em}")
            .append("</style></head>\n<body>\n<h1>tapstack counters</h1>\n<p>");
        for (final Map.Entry<String, String> e : stackInfo.entrySet())
        {
            sb.append(escapeHtml(e.getKey())).append(" <b>").append(escapeHtml(e.getValue())).append("</b> · ");
        }
        sb.append("up ").append(stats.uptimeMs() / 1000).append(" s · <span id=\"updated\">live</span> · ")
            .append("<a href=\"/stats.json\">JSON</a> · <a href=\"/stats/connections.json\">connections</a></p>\n");
        HttpStatsPage.appendConnections(sb);
        sb.append("<h2>HTTP</h2>\n<table><tbody id=\"http-counters\">\n");
        for (final Map.Entry<String, Long> e : stats.snapshot().entrySet())
        {
            row(sb, e.getKey(), e.getValue());
        }
        sb.append("</tbody></table>\n<h2>Stack</h2>\n<p>Counters that are still zero are left out.</p>\n")
            .append("<table><tbody id=\"stack-counters\">\n");
        String layer = "";
        for (final Map.Entry<String, Long> e : stackCounters.get().entrySet())
        {
            if (e.getValue() == 0)
            {
                continue;
            }
            final String name = e.getKey();
            final String thisLayer = name.substring(0, Math.max(0, name.indexOf('_')));
            if (!thisLayer.equals(layer))
            {
                layer = thisLayer;
                sb.append("<tr><th colspan=\"2\" align=\"left\">").append(escapeHtml(layer.toUpperCase(Locale.ROOT)))
                    .append("</th></tr>\n");
            }
            row(sb, name, e.getValue());
        }
        sb.append("</tbody></table>\n<p>first drawn ").append(HttpResponse.HTTP_DATE.format(Instant.now()))
            .append("</p>\n");
        HttpStatsPage.appendScript(sb);
        sb.append("</body></html>\n");
        return HttpResponse.of(200, "text/html; charset=utf-8", sb.toString()).header("Cache-Control", "no-store");
    }

    private static void row(final StringBuilder sb, final String name, final long value)
    {
        sb.append("<tr><td>").append(escapeHtml(name)).append("</td><td class=\"n\">")
            .append(String.format(Locale.ROOT, "%,d", value)).append("</td></tr>\n");
    }

    static String jsonString(final String s)
    {
        final StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    static String escapeHtml(final String s)
    {
        final StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** A file name as a path segment: unreserved characters stay, the rest (as UTF-8) become %XX. */
    static String percentEncode(final String name)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : name.getBytes(StandardCharsets.UTF_8))
        {
            final int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~/".indexOf(c) >= 0)
            {
                sb.append((char)c);
            }
            else
            {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }
}
