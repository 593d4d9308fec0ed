package io.tapstack.forward.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The name servers of a resolv.conf (resolv.conf(5)): each {@code nameserver ADDRESS} line, in order, at most
 * {@link #MAX_NAMESERVERS} as the C library uses. Only literal IPv4 and IPv6 addresses are taken (a name would need
 * a lookup to resolve, the thing being configured); other lines and options are ignored.
 */
public final class ResolvConf
{
    /** resolv.conf(5): MAXNS, the number of name servers the resolver uses. */
    public static final int MAX_NAMESERVERS = 3;
    public static final int DNS_PORT = 53;
    /** A resolv.conf bigger than this is not a resolv.conf: read no further. */
    private static final long MAX_FILE_BYTES = 64 * 1024;
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private ResolvConf()
    {
    }

    /** The name servers in {@code path}, port 53; empty when it names none. */
    public static List<InetSocketAddress> read(final Path path) throws IOException
    {
        if (Files.size(path) > MAX_FILE_BYTES)
        {
            throw new IOException(path + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        return parse(Files.readString(path, StandardCharsets.UTF_8));
    }

    /** The name servers in the text of a resolv.conf, port 53. */
    public static List<InetSocketAddress> parse(final String text)
    {
        final List<InetSocketAddress> servers = new ArrayList<>();
        for (final String rawLine : text.split("\n"))
        {
            final String line = rawLine.strip();
            if (line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == ';')
            {
                continue;
            }
            final String[] fields = line.split("\\s+");
            if (fields.length < 2 || !fields[0].equals("nameserver"))
            {
                continue;
            }
            final String address = fields[1];
            // getByName on a literal parses it without any lookup; anything else is skipped
            if (!IPV4.matcher(address).matches() && !IPV6.matcher(address).matches())
            {
                continue;
            }
            try
            {
                servers.add(new InetSocketAddress(InetAddress.getByName(address), DNS_PORT));
            }
            catch (final UnknownHostException ex)
            {
                continue; // a malformed literal
            }
            if (servers.size() == MAX_NAMESERVERS)
            {
                break;
            }
        }
        return servers;
    }
}
