package io.tapstack.forward.dns;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * One guest TCP connection to port 53 (RFC 1035 §4.2.2, RFC 7766): messages each behind a two-octet length. Reads
 * one query at a time (the next waits in the connection's receive buffer while one is in flight, so a guest cannot
 * have more than one query outstanding per connection), and writes each answer with its length, as much as the
 * send buffer takes at a time. Owned by the stack thread.
 */
final class GuestTcpSession implements TcpHandler
{
    final TcpConnection connection;
    private final int maxQueryBytes;
    private final UnsafeBuffer in;
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[2 + 65535]);
    /** Octets of the current message read so far, its two-octet length included. */
    private int inLength;
    private int outLength;
    private int outWritten;
    /** A query of this connection is with a resolver. */
    boolean waiting;
    long lastActivityNs;
    boolean closed;

    GuestTcpSession(final TcpConnection connection, final int maxQueryBytes, final long nowNs)
    {
        this.connection = connection;
        this.maxQueryBytes = maxQueryBytes;
        this.in = new UnsafeBuffer(new byte[2 + maxQueryBytes]);
        this.lastActivityNs = nowNs;
    }

    /** What {@link #readQuery} found. */
    enum Read
    {
        NOTHING, QUERY, TOO_LONG, END
    }

    /** Reads towards the next whole query: {@link Read#QUERY} when {@link #query()} holds one. */
    Read readQuery(final long nowNs)
    {
        if (waiting || outWritten < outLength)
        {
            return Read.NOTHING; // one query at a time; the rest waits in the receive buffer (back-pressure)
        }
        if (inLength < 2)
        {
            final int n = connection.read(in, inLength, 2 - inLength);
            if (n > 0)
            {
                inLength += n;
                lastActivityNs = nowNs;
            }
            if (inLength < 2)
            {
                return n < 0 ? Read.END : Read.NOTHING;
            }
        }
        final int messageLength = in.getShort(0, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (messageLength > maxQueryBytes)
        {
            return Read.TOO_LONG;
        }
        if (inLength < 2 + messageLength)
        {
            final int n = connection.read(in, inLength, 2 + messageLength - inLength);
            if (n > 0)
            {
                inLength += n;
                lastActivityNs = nowNs;
            }
            if (inLength < 2 + messageLength)
            {
                return n < 0 ? Read.END : Read.NOTHING;
            }
        }
        inLength = 0;
        return Read.QUERY;
    }

    /** The buffer holding the query {@link #readQuery} found, from offset 2. */
    UnsafeBuffer query()
    {
        return in;
    }

    int queryLength()
    {
        return in.getShort(0, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** Queues {@code length} octets of answer with their length, and writes what fits. */
    void answer(final DirectBuffer answer, final int offset, final int length, final long nowNs)
    {
        out.putShort(0, (short)length, ByteOrder.BIG_ENDIAN);
        out.putBytes(2, answer, offset, length);
        outLength = 2 + length;
        outWritten = 0;
        waiting = false;
        lastActivityNs = nowNs;
        flush();
    }

    /** Writes what the send buffer takes of the pending answer; true when something was written. */
    boolean flush()
    {
        if (outWritten >= outLength || closed)
        {
            return false;
        }
        final int n = connection.write(out, outWritten, outLength - outWritten);
        if (n > 0)
        {
            outWritten += n;
            return true;
        }
        return false;
    }

    boolean hasPendingOutput()
    {
        return outWritten < outLength;
    }

    @Override
    public void onWritable(final TcpConnection c)
    {
        flush();
    }

    @Override
    public void onClosed(final TcpConnection c)
    {
        closed = true;
    }

    @Override
    public void onReset(final TcpConnection c)
    {
        closed = true;
    }
}
