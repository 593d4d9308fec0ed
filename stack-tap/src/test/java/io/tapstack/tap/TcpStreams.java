package io.tapstack.tap;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/** Stack-side TCP handlers for the TAP tests: a digesting sink and a seeded pseudo-random source. */
final class TcpStreams
{
    private TcpStreams()
    {
    }

    /** Counts and digests everything it reads; completes with the digest at end of stream. */
    static final class DigestSink implements TcpHandler
    {
        final MessageDigest digest = sha256();
        final byte[] chunk = new byte[64 * 1024];
        final CompletableFuture<String> done = new CompletableFuture<>();
        long bytes;
        byte[] answerAtEnd;
        /** When to note {@link #markNs}: once this many bytes have been read. */
        long markBytes = Long.MAX_VALUE;
        /** System.nanoTime() at the first byte read, at {@link #markBytes} and at end of stream (0 until then). */
        long firstNs;
        long markNs;
        long endNs;

        @Override
        public void onReadable(final TcpConnection c)
        {
            drain(c);
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            drain(c);
        }

        void drain(final TcpConnection c)
        {
            int n;
            while ((n = c.read(chunk, 0, chunk.length)) > 0)
            {
                if (firstNs == 0)
                {
                    firstNs = System.nanoTime();
                }
                digest.update(chunk, 0, n);
                bytes += n;
                if (markNs == 0 && bytes >= markBytes)
                {
                    markNs = System.nanoTime();
                }
            }
            if (n < 0 && !done.isDone())
            {
                endNs = System.nanoTime();
                if (answerAtEnd != null)
                {
                    c.write(answerAtEnd, 0, answerAtEnd.length);
                }
                c.close();
                done.complete(HexFormat.of().formatHex(digest.digest()));
            }
        }

        @Override
        public void onReset(final TcpConnection c)
        {
            done.completeExceptionally(new AssertionError("reset: " + c.resetReason()));
        }
    }

    /** Streams {@code total} seeded pseudo-random bytes, digesting them, then closes. */
    static final class RandomSource implements TcpHandler
    {
        final SplittableRandom random;
        final long total;
        final MessageDigest digest = sha256();
        final byte[] chunk = new byte[64 * 1024];
        final CompletableFuture<String> sent = new CompletableFuture<>();
        final CompletableFuture<String> reset = new CompletableFuture<>();
        final CompletableFuture<String> received = new CompletableFuture<>();
        final StringBuilder reply = new StringBuilder();
        int chunkPos;
        int chunkLen;
        long produced;
        boolean shutdown;

        RandomSource(final long seed, final long total)
        {
            this.random = new SplittableRandom(seed);
            this.total = total;
        }

        @Override
        public void onConnected(final TcpConnection c)
        {
            pump(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            pump(c);
        }

        void pump(final TcpConnection c)
        {
            while (true)
            {
                if (chunkPos == chunkLen)
                {
                    if (produced == total)
                    {
                        if (!shutdown)
                        {
                            shutdown = true;
                            c.shutdownOutput();
                            sent.complete(HexFormat.of().formatHex(digest.digest()));
                        }
                        return;
                    }
                    chunkLen = (int)Math.min(chunk.length, total - produced);
                    for (int i = 0; i < chunkLen; i += 8)
                    {
                        long v = random.nextLong();
                        for (int j = 0; j < 8 && i + j < chunkLen; j++, v >>>= 8)
                        {
                            chunk[i + j] = (byte)v;
                        }
                    }
                    digest.update(chunk, 0, chunkLen);
                    produced += chunkLen;
                    chunkPos = 0;
                }
                final int n = c.write(chunk, chunkPos, chunkLen - chunkPos);
                if (n <= 0)
                {
                    return;
                }
                chunkPos += n;
            }
        }

        @Override
        public void onReadable(final TcpConnection c)
        {
            final byte[] buf = new byte[1024];
            int n;
            while ((n = c.read(buf, 0, buf.length)) > 0)
            {
                reply.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII));
            }
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            onReadable(c);
            c.close();
            received.complete(reply.toString());
        }

        @Override
        public void onReset(final TcpConnection c)
        {
            reset.complete(c.resetReason());
            received.completeExceptionally(new AssertionError("reset: " + c.resetReason()));
        }
    }

    /**
     * The README's echo server on the stack thread: reads only what it can write back (back-pressure closes the
     * advertised window instead of growing a queue) and closes once the peer's FIN is read. Unlike the README's
     * sketch it also listens for {@code onEndOfStream}: a FIN that arrives alone, after every byte was echoed and
     * acknowledged, brings neither {@code onReadable} nor {@code onWritable}.
     */
    static final class Echo implements TcpHandler
    {
        private final byte[] buf = new byte[65536];
        long echoed;

        @Override
        public void onReadable(final TcpConnection c)
        {
            int n;
            while ((n = c.read(buf, 0, Math.min(buf.length, c.writable()))) > 0)
            {
                echoed += c.write(buf, 0, n);
            }
            if (n < 0)
            {
                c.close();
            }
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            onReadable(c);
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            onReadable(c);
        }
    }

    static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final java.security.NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

}
