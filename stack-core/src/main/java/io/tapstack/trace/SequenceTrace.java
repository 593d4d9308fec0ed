package io.tapstack.trace;

import io.tapstack.dev.FrameObserver;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpEventListener;
import io.tapstack.tcp.TcpState;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A TCP conversation drawn as a textbook sequence diagram: one line per segment, the sender on the left or
 * right, an arrow across, sequence numbers relative to each side's ISN (as in RFC 9293's figures and
 * Wireshark's default), and the connections' events (state changes, retransmissions and losses with their reason)
 * between them. The left column is whoever sent the first SYN. For teaching and for tests; allocates.
 */
public final class SequenceTrace implements FrameObserver, TcpEventListener
{
    private static final int COLUMN = 44;

    private final List<String> lines = new ArrayList<>();
    private final Map<String, Integer> isnBySender = new HashMap<>();
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final EthernetFrame ethernet = new EthernetFrame();
    private final Ipv4Header ip = new Ipv4Header();
    private final TcpHeader tcp = new TcpHeader();
    private final TcpOptions options = new TcpOptions();
    private String left;
    private String right;
    private long startNs = Long.MIN_VALUE;

    @Override
    public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        view.wrap(buffer, offset, length);
        ethernet.wrap(view, 0, length);
        if (ethernet.validate() != EthernetFrame.Verdict.OK || ethernet.etherType() != EtherType.IPV4)
        {
            return;
        }
        ip.wrap(view, EthernetFrame.HEADER_LENGTH, length - EthernetFrame.HEADER_LENGTH);
        if (ip.validate() != Ipv4Header.Verdict.OK || ip.protocol() != IpProtocol.TCP || ip.isFragment())
        {
            return;
        }
        tcp.wrap(view, ip.payloadOffset(), ip.payloadLength());
        if (tcp.validate(ip.source(), ip.destination()) != TcpHeader.Verdict.OK)
        {
            return;
        }
        options.parse(view, tcp.optionsOffset(), tcp.optionsLength());
        final String from = Ipv4Address.toString(ip.source()) + ":" + tcp.sourcePort();
        final String to = Ipv4Address.toString(ip.destination()) + ":" + tcp.destinationPort();
        final int flags = tcp.flags();
        if (left == null && (flags & TcpFlags.SYN) != 0 && (flags & TcpFlags.ACK) == 0)
        {
            left = from;
            right = to;
        }
        if ((flags & TcpFlags.SYN) != 0)
        {
            isnBySender.put(from, tcp.sequenceNumber());
        }
        final StringBuilder text = new StringBuilder();
        text.append(flagNames(flags));
        final Integer ourIsn = isnBySender.get(from);
        final Integer theirIsn = isnBySender.get(to);
        text.append(" seq ").append(relative(tcp.sequenceNumber(), ourIsn));
        if ((flags & TcpFlags.ACK) != 0)
        {
            text.append(" ack ").append(relative(tcp.acknowledgmentNumber(), theirIsn));
        }
        if (tcp.dataLength() > 0)
        {
            text.append(" len ").append(tcp.dataLength());
        }
        if ((flags & TcpFlags.RST) == 0)
        {
            text.append(" win ").append(tcp.window());
        }
        if (options.mss > 0)
        {
            text.append(" mss ").append(options.mss);
        }
        final String time = time(nowNs);
        if (from.equals(right))
        {
            lines.add(time + pad("", COLUMN) + "<---  " + text);
        }
        else
        {
            lines.add(time + pad(text.toString(), COLUMN) + "--->");
        }
    }

    @Override
    public void onStateChange(final TcpConnection c, final TcpState from, final TcpState to, final long nowNs)
    {
        event(c, from + " -> " + to, nowNs);
    }

    @Override
    public void onRetransmit(final TcpConnection c, final int seq, final int length, final String reason,
        final long nowNs)
    {
        final String self = self(c);
        final Integer isn = self == null ? null : isnBySender.get(self);
        event(c, "retransmit seq " + relative(seq, isn) + " len " + length + " (" + reason + ")", nowNs);
    }

    @Override
    public void onLossDetected(final TcpConnection c, final int seq, final int length, final String reason,
        final long nowNs)
    {
        final String self = self(c);
        final Integer isn = self == null ? null : isnBySender.get(self);
        event(c, "deemed lost seq " + relative(seq, isn) + " len " + length + " (" + reason + ")", nowNs);
    }

    @Override
    public void onCongestionChange(final TcpConnection c, final String reason, final int cwnd, final int ssthresh,
        final long nowNs)
    {
        if (!REASON_QUIET.contains(reason))
        {
            event(c, "cwnd " + cwnd + " ssthresh " + (ssthresh == Integer.MAX_VALUE ? "inf" : ssthresh)
                + " (" + reason + ")", nowNs);
        }
    }

    /** Congestion-window steps too frequent for a diagram (every ACK in slow start or avoidance). */
    private static final java.util.Set<String> REASON_QUIET = java.util.Set.of("slow-start", "congestion-avoidance",
        "recovery-inflate");

    private void event(final TcpConnection c, final String what, final long nowNs)
    {
        // before the first SYN is seen, the only connection is the one opening: the left column
        final String self = self(c);
        final String time = time(nowNs);
        if (self != null && self.equals(right))
        {
            lines.add(time + pad("", COLUMN) + "      * " + what);
        }
        else
        {
            lines.add(time + "* " + what);
        }
    }

    private String self(final TcpConnection c)
    {
        final String remote = Ipv4Address.toString(c.remoteAddress()) + ":" + c.remotePort();
        if (remote.equals(right))
        {
            return left;
        }
        if (remote.equals(left))
        {
            return right;
        }
        return null;
    }

    private String time(final long nowNs)
    {
        if (startNs == Long.MIN_VALUE)
        {
            startNs = nowNs;
        }
        return String.format("%9.3f ms  ", (nowNs - startNs) / 1e6);
    }

    private static String relative(final int value, final Integer isn)
    {
        return Long.toString(Integer.toUnsignedLong(isn == null ? value : value - isn));
    }

    private static String flagNames(final int flags)
    {
        final StringBuilder sb = new StringBuilder();
        append(sb, flags, TcpFlags.SYN, "SYN");
        append(sb, flags, TcpFlags.FIN, "FIN");
        append(sb, flags, TcpFlags.RST, "RST");
        append(sb, flags, TcpFlags.PSH, "PSH");
        append(sb, flags, TcpFlags.ACK, "ACK");
        return sb.toString();
    }

    private static void append(final StringBuilder sb, final int flags, final int flag, final String name)
    {
        if ((flags & flag) != 0)
        {
            if (sb.length() > 0)
            {
                sb.append(',');
            }
            sb.append(name);
        }
    }

    private static String pad(final String text, final int width)
    {
        return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
    }

    /** The header line naming the two columns. */
    public String header()
    {
        return pad("", 14) + pad(left == null ? "?" : left, COLUMN) + "      " + (right == null ? "?" : right);
    }

    public List<String> lines()
    {
        return lines;
    }

    @Override
    public String toString()
    {
        return header() + "\n" + String.join("\n", lines) + "\n";
    }
}
