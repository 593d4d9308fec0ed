package io.tapstack.tcp;

import java.io.ByteArrayOutputStream;

/** Test handlers: a sender that streams a byte array, and a sink that collects what it reads. */
final class TcpPeers
{
    private TcpPeers()
    {
    }

    /** Writes {@code data} as the send buffer allows, then closes (or only shuts down output). */
    static final class Sender implements TcpHandler
    {
        final byte[] data;
        final boolean closeWhenDone;
        int written;
        boolean connected;
        boolean closed;
        boolean reset;
        boolean endOfStream;

        Sender(final byte[] data, final boolean closeWhenDone)
        {
            this.data = data;
            this.closeWhenDone = closeWhenDone;
        }

        @Override
        public void onConnected(final TcpConnection c)
        {
            connected = true;
            pump(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            pump(c);
        }

        void pump(final TcpConnection c)
        {
            while (written < data.length)
            {
                final int n = c.write(data, written, data.length - written);
                if (n <= 0)
                {
                    return;
                }
                written += n;
            }
            if (closeWhenDone)
            {
                c.shutdownOutput();
            }
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            endOfStream = true;
        }

        @Override
        public void onClosed(final TcpConnection c)
        {
            closed = true;
        }

        @Override
        public void onReset(final TcpConnection c)
        {
            reset = true;
        }
    }

    /** Reads everything (optionally at most {@code readLimit} bytes per callback); closes after the peer's FIN. */
    static final class Sink implements TcpHandler
    {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final byte[] chunk = new byte[64 * 1024];
        int readLimit = Integer.MAX_VALUE;
        boolean paused;
        boolean endOfStream;
        boolean closed;
        boolean reset;
        boolean closeOnEnd = true;

        /** Listens on {@code port} of {@code tcp}; this sink reads the first connection accepted. */
        Sink listenOn(final TcpLayer tcp, final int port)
        {
            tcp.listen(port, listener ->
            {
                final TcpConnection c = listener.accept();
                c.handler(this);
                drain(c);
            });
            return this;
        }

        @Override
        public void onReadable(final TcpConnection c)
        {
            drain(c);
        }

        void drain(final TcpConnection c)
        {
            int budget = readLimit;
            while (!paused && budget > 0)
            {
                final int n = c.read(chunk, 0, Math.min(chunk.length, budget));
                if (n <= 0)
                {
                    break;
                }
                received.write(chunk, 0, n);
                budget -= n;
            }
            if (c.isEndOfStream() && !endOfStream)
            {
                endOfStream = true;
                if (closeOnEnd)
                {
                    c.close();
                }
            }
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            drain(c);
        }

        @Override
        public void onClosed(final TcpConnection c)
        {
            closed = true;
        }

        @Override
        public void onReset(final TcpConnection c)
        {
            reset = true;
        }
    }
}
