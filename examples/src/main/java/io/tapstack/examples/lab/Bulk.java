package io.tapstack.examples.lab;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;

/** The TCP applications of the labs, on the stack thread: a sender of N bytes and a reader that may go slow. */
final class Bulk
{
    private Bulk()
    {
    }

    /** Writes {@code total} bytes (a repeating pattern) as fast as TCP takes them, then closes if asked. */
    static final class Source implements TcpHandler
    {
        final long total;
        final boolean closeWhenDone;
        private final byte[] chunk = new byte[16384];
        long written;
        TcpConnection connection;

        Source(final long total, final boolean closeWhenDone)
        {
            this.total = total;
            this.closeWhenDone = closeWhenDone;
            for (int i = 0; i < chunk.length; i++)
            {
                chunk[i] = (byte)('a' + i % 26);
            }
        }

        @Override
        public void onConnected(final TcpConnection c)
        {
            connection = c;
            onWritable(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            int n;
            while (written < total && (n = c.write(chunk, 0, (int)Math.min(chunk.length, total - written))) > 0)
            {
                written += n;
            }
            if (written == total && closeWhenDone && c.isOutputOpen())
            {
                c.close();
            }
        }
    }

    /** Reads what arrives, unless paused; {@link #readAtMost} reads by hand (a slow application). */
    static final class Sink implements TcpHandler
    {
        private final byte[] chunk = new byte[65536];
        long received;
        boolean automatic = true;
        boolean endOfStream;
        TcpConnection connection;

        @Override
        public void onReadable(final TcpConnection c)
        {
            connection = c;
            if (automatic)
            {
                readAtMost(Long.MAX_VALUE);
            }
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            onReadable(c);
            endOfStream = true;
            c.close();
        }

        /** Reads up to {@code bytes} now; returns how many. */
        long readAtMost(final long bytes)
        {
            long read = 0;
            int n;
            while (connection != null && read < bytes
                && (n = connection.read(chunk, 0, (int)Math.min(chunk.length, bytes - read))) > 0)
            {
                read += n;
            }
            received += read;
            return read;
        }
    }
}
