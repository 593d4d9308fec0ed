package io.tapstack.examples;

import io.tapstack.socket.TcpCompletionHandler;
import io.tapstack.socket.TcpSocket;
import io.tapstack.socket.UdpSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Echo (RFC 862), discard (RFC 863) and chargen (RFC 864) in the socket API's asynchronous style: each TCP
 * connection is a small state object whose next step is a callback on {@code readAsync}/{@code writeAsync}, so
 * that a connection costs memory, never a thread. Each callback is stored once per connection (a method
 * reference made per read would allocate per read).
 */
final class SmallServices
{
    private static final Logger LOG = LoggerFactory.getLogger(SmallServices.class);
    /** Where discard and chargen drop what they read: the bytes are never looked at, so all connections share it. */
    private static final byte[] SINK = new byte[64 * 1024];
    /** RFC 864 UDP: at most 512 characters a datagram; this many whole lines fit. */
    static final int MAX_UDP_LINES = 512 / Chargen.LINE_BYTES;
    /** Every line of the rotation, and enough after it that a datagram may start at any of them. */
    private static final byte[] UDP_LINES = Chargen.pattern((Chargen.CHARACTERS + MAX_UDP_LINES) * Chargen.LINE_BYTES);

    private SmallServices()
    {
    }

    /** RFC 862: a TCP echo connection reading into its own buffer of {@code bufferBytes}. */
    static AsyncTcpService.Handler echo(final int bufferBytes)
    {
        return (c, finished) -> new ReadingConnection(c, new byte[bufferBytes], true, finished).readNext();
    }

    /** RFC 863: reads and drops until the client closes. */
    static AsyncTcpService.Handler discard()
    {
        return (c, finished) -> new ReadingConnection(c, SINK, false, finished).readNext();
    }

    /** RFC 864: writes the pattern as fast as the client takes it, until the client closes. */
    static AsyncTcpService.Handler chargen()
    {
        return (c, finished) -> new ChargenConnection(c, finished).start();
    }

    /** RFC 862: "any data received is sent back", one datagram for one. */
    static void echoDatagram(final UdpSocket socket, final UdpSocket.Datagram d) throws java.io.IOException
    {
        socket.send(d.address(), d.port(), d.data(), 0, d.data().length);
    }

    /** RFC 863: "any UDP datagram received is thrown away". */
    static void discardDatagram(final UdpSocket socket, final UdpSocket.Datagram d)
    {
    }

    /**
     * RFC 864 UDP: the answer holds "a random number (between 0 and 512) of characters" and the received data is
     * ignored; here 1 to {@link #MAX_UDP_LINES} whole lines of the pattern from a random line on (never empty,
     * so a client always sees that it was answered; no state carries over between datagrams, as the RFC says).
     */
    static void chargenDatagram(final UdpSocket socket, final UdpSocket.Datagram d) throws java.io.IOException
    {
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        final int lines = 1 + random.nextInt(MAX_UDP_LINES);
        final int first = random.nextInt(Chargen.CHARACTERS);
        socket.send(d.address(), d.port(), UDP_LINES, first * Chargen.LINE_BYTES, lines * Chargen.LINE_BYTES);
    }

    /** Why a connection ended badly (a reset, the stack closing): the peer's business, so debug. */
    private static void failed(final TcpSocket c, final Throwable ex, final Runnable finished)
    {
        LOG.debug("{}: {}", c, ex.toString());
        c.abort();
        finished.run();
    }

    /**
     * Reads until the client's FIN. Echoing, it writes back what was read before reading again: one step at a time,
     * so a slow reader slows its writer. Discarding, it reads again at once.
     */
    private static final class ReadingConnection implements TcpCompletionHandler<Void>
    {
        private final TcpSocket c;
        private final byte[] buffer;
        private final boolean echo;
        private final Runnable finished;
        /** The write's handler: the read's is this object (completion handlers, so nothing is allocated per step). */
        private final TcpCompletionHandler<Void> onWritten = new TcpCompletionHandler<>()
        {
            @Override
            public void completed(final int bytes, final Void attachment)
            {
                readNext();
            }

            @Override
            public void failed(final Throwable failure, final Void attachment)
            {
                SmallServices.failed(c, failure, finished);
            }
        };

        ReadingConnection(final TcpSocket c, final byte[] buffer, final boolean echo, final Runnable finished)
        {
            this.c = c;
            this.buffer = buffer;
            this.echo = echo;
            this.finished = finished;
        }

        void readNext()
        {
            c.readAsync(buffer, 0, buffer.length, 0, null, this);
        }

        @Override
        public void completed(final int n, final Void attachment)
        {
            if (n < 0)
            {
                // RFC 862, RFC 863: until the client closes; what we queued still goes out before our FIN
                c.close();
                finished.run();
            }
            else if (echo)
            {
                c.writeAsync(buffer, 0, n, null, onWritten);
            }
            else
            {
                readNext();
            }
        }

        @Override
        public void failed(final Throwable failure, final Void attachment)
        {
            SmallServices.failed(c, failure, finished);
        }
    }

    /** Two independent chains: writing the pattern, and reading (and dropping) until the client's FIN. */
    private static final class ChargenConnection
    {
        private final TcpSocket c;
        private final Runnable finished;
        private final AtomicBoolean ended = new AtomicBoolean();
        private final BiConsumer<Integer, Throwable> onRead = this::onRead;
        private final BiConsumer<Void, Throwable> onWritten = this::onWritten;

        ChargenConnection(final TcpSocket c, final Runnable finished)
        {
            this.c = c;
            this.finished = finished;
        }

        void start()
        {
            readNext();
            writeNext();
        }

        private void readNext()
        {
            c.readAsync(SINK, 0, SINK.length).whenComplete(onRead);
        }

        private void writeNext()
        {
            c.writeAsync(Chargen.PATTERN, 0, Chargen.PATTERN.length).whenComplete(onWritten);
        }

        private void onRead(final Integer n, final Throwable ex)
        {
            if (ex != null)
            {
                end(ex);
            }
            else if (n < 0)
            {
                // RFC 864: "until the calling user terminates the connection"; its FIN ends our stream too (the
                // pending write then fails with "socket closed", which end() ignores)
                if (ended.compareAndSet(false, true))
                {
                    c.close();
                    finished.run();
                }
            }
            else
            {
                readNext();
            }
        }

        private void onWritten(final Void done, final Throwable ex)
        {
            if (ex != null)
            {
                end(ex);
            }
            else if (!ended.get())
            {
                writeNext();
            }
        }

        /** RFC 864: "be prepared for either the careful close or the rude abort". */
        private void end(final Throwable ex)
        {
            if (ended.compareAndSet(false, true))
            {
                failed(c, ex, finished);
            }
        }
    }
}
