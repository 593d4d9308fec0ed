package io.tapstack.forward;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;

import java.io.ByteArrayOutputStream;

/**
 * A guest application on the guest stack's thread: sends {@code payload}, then half-closes, and collects what comes
 * back until end of stream (an echo server returns it all).
 */
class GuestClient implements TcpHandler
{
    final byte[] payload;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final byte[] chunk = new byte[16384];
    private int sent;
    boolean connected;
    boolean endOfStream;
    String reset;
    TcpConnection connection;

    GuestClient(final byte[] payload)
    {
        this.payload = payload;
    }

    boolean done()
    {
        return endOfStream || reset != null;
    }

    @Override
    public void onConnected(final TcpConnection c)
    {
        connected = true;
        onWritable(c);
    }

    @Override
    public void onWritable(final TcpConnection c)
    {
        while (sent < payload.length)
        {
            final int n = c.write(payload, sent, payload.length - sent);
            if (n <= 0)
            {
                return;
            }
            sent += n;
        }
        if (c.isOutputOpen())
        {
            c.shutdownOutput();
        }
    }

    @Override
    public void onReadable(final TcpConnection c)
    {
        int n;
        while ((n = c.read(chunk, 0, chunk.length)) > 0)
        {
            received.write(chunk, 0, n);
        }
        if (n < 0)
        {
            endOfStream = true;
        }
    }

    @Override
    public void onEndOfStream(final TcpConnection c)
    {
        onReadable(c);
    }

    @Override
    public void onReset(final TcpConnection c)
    {
        reset = c.resetReason();
    }
}
