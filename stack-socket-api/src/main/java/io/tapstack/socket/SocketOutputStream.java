package io.tapstack.socket;

import java.io.IOException;
import java.io.OutputStream;

/** {@link TcpSocket#getOutputStream()}: a write returns once every byte is queued (back-pressure). */
final class SocketOutputStream extends OutputStream
{
    private final TcpSocket socket;
    /** For the one-byte write: no allocation per call. */
    private final byte[] one = new byte[1];

    SocketOutputStream(final TcpSocket socket)
    {
        this.socket = socket;
    }

    @Override
    public void write(final int b) throws IOException
    {
        one[0] = (byte)b;
        socket.write(one, 0, 1);
    }

    @Override
    public void write(final byte[] b, final int off, final int len) throws IOException
    {
        socket.write(b, off, len);
    }

    @Override
    public void close()
    {
        socket.close();
    }
}
