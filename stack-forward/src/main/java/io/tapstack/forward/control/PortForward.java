package io.tapstack.forward.control;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Objects;

/**
 * One inbound port forward: a host socket on {@code hostAddress:hostPort} whose connections (TCP) or datagrams (UDP)
 * the engine carries to {@code guestPort} on the guest. Written as on the command line, {@code -p
 * HOST_ADDR:HOST_PORT:GUEST_PORT[/udp]} (as podman and slirp4netns write it); {@code HOST_ADDR} may be left out, and
 * is then 127.0.0.1, so that nothing is exposed beyond the host unless asked for. A forward is known by its protocol,
 * host address and host port (one host socket each).
 *
 * @param protocol    TCP or UDP
 * @param hostAddress a literal IPv4 address (never resolved by name)
 * @param hostPort    1..65535
 * @param guestPort   1..65535
 */
public record PortForward(Protocol protocol, InetAddress hostAddress, int hostPort, int guestPort)
{
    /** The transport a forward carries. */
    public enum Protocol
    {
        TCP,
        UDP;

        /** {@code tcp} or {@code udp}, as the command line writes it. */
        public String word()
        {
            return name().toLowerCase(Locale.ROOT);
        }

        /** {@code tcp} or {@code udp} in any case. */
        public static Protocol of(final String word)
        {
            return switch (word.toLowerCase(Locale.ROOT))
            {
                case "tcp" -> TCP;
                case "udp" -> UDP;
                default -> throw new IllegalArgumentException("protocol '" + word + "': tcp or udp");
            };
        }
    }

    /** The address a forward listens on when the spec names none: the host's loopback only. */
    public static final String DEFAULT_HOST_ADDRESS = "127.0.0.1";

    public PortForward
    {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(hostAddress, "hostAddress");
        if (hostAddress.getAddress().length != 4)
        {
            throw new IllegalArgumentException("host address " + hostAddress.getHostAddress() + ": IPv4 only");
        }
        checkPort("host port", hostPort);
        checkPort("guest port", guestPort);
    }

    /**
     * Parses {@code [HOST_ADDR:]HOST_PORT:GUEST_PORT[/udp|/tcp]}.
     *
     * @throws IllegalArgumentException with a message that says what is wrong
     */
    public static PortForward parse(final String spec)
    {
        Objects.requireNonNull(spec, "spec");
        String rest = spec.trim();
        Protocol protocol = Protocol.TCP;
        final int slash = rest.lastIndexOf('/');
        if (slash >= 0)
        {
            protocol = Protocol.of(rest.substring(slash + 1));
            rest = rest.substring(0, slash);
        }
        final String[] parts = rest.split(":", -1);
        final String address;
        final String hostPort;
        final String guestPort;
        switch (parts.length)
        {
            case 2 ->
            {
                address = DEFAULT_HOST_ADDRESS;
                hostPort = parts[0];
                guestPort = parts[1];
            }
            case 3 ->
            {
                address = parts[0];
                hostPort = parts[1];
                guestPort = parts[2];
            }
            default -> throw new IllegalArgumentException("port forward '" + spec
                + "': HOST_ADDR:HOST_PORT:GUEST_PORT[/udp]");
        }
        return new PortForward(protocol, ipv4Literal(address), port("host port", hostPort),
            port("guest port", guestPort));
    }

    /** The forward as {@link #parse(String)} reads it: {@code 127.0.0.1:8080:80/tcp}. */
    public String spec()
    {
        return hostAddress.getHostAddress() + ":" + hostPort + ":" + guestPort + "/" + protocol.word();
    }

    /** Whether {@code other} would take the same host socket (same protocol, address and port). */
    public boolean sameHostSocket(final PortForward other)
    {
        return protocol == other.protocol && hostPort == other.hostPort && hostAddress.equals(other.hostAddress);
    }

    @Override
    public String toString()
    {
        return spec();
    }

    /** A dotted-quad IPv4 literal; a name is refused rather than looked up. */
    static InetAddress ipv4Literal(final String text)
    {
        final String[] octets = text.split("\\.", -1);
        if (octets.length != 4)
        {
            throw new IllegalArgumentException("host address '" + text + "': an IPv4 address such as 127.0.0.1");
        }
        final byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            if (octets[i].isEmpty() || octets[i].length() > 3 || !octets[i].chars().allMatch(Character::isDigit))
            {
                throw new IllegalArgumentException("host address '" + text + "': an IPv4 address such as 127.0.0.1");
            }
            final int value = Integer.parseInt(octets[i]);
            if (value > 255)
            {
                throw new IllegalArgumentException("host address '" + text + "': octet " + value + " > 255");
            }
            bytes[i] = (byte)value;
        }
        try
        {
            return InetAddress.getByAddress(bytes);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(ex.getMessage(), ex);
        }
    }

    private static int port(final String what, final String text)
    {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit))
        {
            throw new IllegalArgumentException(what + " '" + text + "': a number 1..65535");
        }
        final int port = Integer.parseInt(text);
        checkPort(what, port);
        return port;
    }

    private static void checkPort(final String what, final int port)
    {
        if (port < 1 || port > 65535)
        {
            throw new IllegalArgumentException(what + " " + port + ": a number 1..65535");
        }
    }
}
