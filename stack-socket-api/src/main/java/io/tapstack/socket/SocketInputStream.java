package io.tapstack.socket;

import java.io.IOException;
import java.io.InputStream;

/** {@link TcpSocket#getInputStream()}: blocking reads that honor the socket's read timeout. */
final class SocketInputStream extends InputStream
{
    private final TcpSocket socket;
    /** For the one-byte read: no allocation per call. */
    private final byte[] one = new byte[1];

    SocketInputStream(final TcpSocket socket)
    {
        this.socket = socket;
    }

    @Override
    public int read() throws IOException
    {
        final int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(final byte[] b, final int off, final int len) throws IOException
    {
        return socket.read(b, off, len, socket.readTimeoutNs());
    }

    @Override
    public int available()
    {
        return socket.available();
    }

    @Override
    public void close()
    {
        socket.close();
    }
}
