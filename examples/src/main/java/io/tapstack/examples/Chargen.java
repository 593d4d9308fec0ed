package io.tapstack.examples;

import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.TcpSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * {@code chargen}: the Character Generator Protocol (RFC 864). Over TCP it writes the rotating pattern as fast as
 * the peer takes it, until the peer closes; a UDP datagram is answered with a datagram of pattern lines.
 */
final class Chargen
{
    private static final Logger LOG = LoggerFactory.getLogger("chargen");
    /** Printable ASCII, space to tilde: the 95 characters RFC 864 rotates through. */
    static final int CHARACTERS = 95;
    /** Characters on a line before its CR LF. */
    static final int LINE_CHARS = 72;
    static final int LINE_BYTES = LINE_CHARS + 2;
    /** Lines until the pattern repeats: each starts one character later. */
    static final int CYCLE_BYTES = CHARACTERS * LINE_BYTES;
    /** Whole cycles, so that writing this buffer again and again continues the pattern. */
    static final byte[] PATTERN = pattern(9 * CYCLE_BYTES);
    /** RFC 864 UDP: "between 0 and 512" characters; six whole lines. */
    private static final int UDP_LINES = 6;
    private static final int RING_BYTES = 256 * 1024;

    private Chargen()
    {
    }

    /** The first {@code length} bytes of the RFC 864 stream. */
    static byte[] pattern(final int length)
    {
        final byte[] out = new byte[length];
        for (int i = 0; i < length; i++)
        {
            final int line = i / LINE_BYTES;
            final int column = i % LINE_BYTES;
            if (column == LINE_CHARS)
            {
                out[i] = '\r';
            }
            else if (column == LINE_CHARS + 1)
            {
                out[i] = '\n';
            }
            else
            {
                out[i] = (byte)(' ' + (line + column) % CHARACTERS);
            }
        }
        return out;
    }

    static int run(final String[] args) throws Exception
    {
        final byte[] lines = pattern(UDP_LINES * LINE_BYTES);
        return Servers.runTcpAndUdp("chargen", "RFC 864",
            "The Character Generator Protocol (RFC 864): writes the rotating 72-character line pattern to each TCP\n"
                + "client as fast as it reads, until it closes (what it sends is read and dropped), and answers each\n"
                + "UDP datagram with " + UDP_LINES + " lines; a source for throughput tests. Runs until Ctrl-C.\n"
                + "Try: nc -d STACK 19 | head -c 100M | wc -c",
            19, args, SocketOptions.defaults().sendBufferBytes(RING_BYTES), Chargen::serve,
            (socket, d) -> socket.send(d.address(), d.port(), lines, 0, lines.length));
    }

    private static void serve(final TcpSocket c) throws IOException
    {
        // RFC 864: data the client sends is thrown away; its FIN (or reset) ends the stream
        final AtomicBoolean peerDone = new AtomicBoolean();
        readUntilEnd(c, new byte[4096], (n, ex) -> peerDone.set(true));
        final long start = System.nanoTime();
        long sent = 0;
        try
        {
            while (!peerDone.get())
            {
                c.write(PATTERN, 0, PATTERN.length);
                sent += PATTERN.length;
            }
        }
        catch (final IOException ex)
        {
            // a peer that stops reading and closes resets the connection: the usual end of a chargen stream
            LOG.info("{} ({})", Rate.describe("sent " + Discard.peer(c), sent, System.nanoTime() - start),
                ex.getMessage());
            c.abort();
            return;
        }
        LOG.info("{}", Rate.describe("sent " + Discard.peer(c), sent, System.nanoTime() - start));
    }

    /** Reads and drops with the non-blocking style; {@code onEnd} runs once at end of stream or failure. */
    private static void readUntilEnd(final TcpSocket c, final byte[] buffer,
        final BiConsumer<Integer, Throwable> onEnd)
    {
        c.readAsync(buffer, 0, buffer.length).whenComplete((n, ex) ->
        {
            if (ex != null || n < 0)
            {
                onEnd.accept(n, ex);
            }
            else
            {
                readUntilEnd(c, buffer, onEnd);
            }
        });
    }

    /** The pattern as text, for tests and curious readers. */
    static String patternText(final int length)
    {
        return new String(pattern(length), StandardCharsets.US_ASCII);
    }
}
