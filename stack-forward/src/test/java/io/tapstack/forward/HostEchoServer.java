package io.tapstack.forward;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP echo server on the host's 127.0.0.1 for tests: one thread, a selector, each connection's bytes sent back as
 * they come (a full socket stops its reading), half-close answered with half-close.
 */
final class HostEchoServer implements AutoCloseable
{
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread thread;
    final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean running = true;

    HostEchoServer() throws IOException
    {
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2048);
        server.configureBlocking(false);
        selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this::run, "host-echo");
        thread.setDaemon(true);
        thread.start();
    }

    int port()
    {
        return server.socket().getLocalPort();
    }

    private static final class Conn
    {
        final ByteBuffer buffer = ByteBuffer.allocate(16384);
        boolean eof;
    }

    private void run()
    {
        try
        {
            while (running)
            {
                selector.select(100);
                final Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext())
                {
                    final SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid())
                    {
                        continue;
                    }
                    if (key.isAcceptable())
                    {
                        SocketChannel c;
                        while ((c = server.accept()) != null)
                        {
                            accepted.incrementAndGet();
                            c.configureBlocking(false);
                            c.register(selector, SelectionKey.OP_READ, new Conn());
                        }
                        continue;
                    }
                    serve(key);
                }
            }
        }
        catch (final IOException ex)
        {
            // closed
        }
    }

    private static void serve(final SelectionKey key)
    {
        final SocketChannel c = (SocketChannel)key.channel();
        final Conn conn = (Conn)key.attachment();
        try
        {
            if (!conn.eof && conn.buffer.hasRemaining() && c.read(conn.buffer) < 0)
            {
                conn.eof = true;
            }
            conn.buffer.flip();
            c.write(conn.buffer);
            conn.buffer.compact();
            final boolean pending = conn.buffer.position() > 0;
            if (conn.eof && !pending)
            {
                c.shutdownOutput();
                c.close();
                return;
            }
            key.interestOps((conn.eof || !conn.buffer.hasRemaining() ? 0 : SelectionKey.OP_READ)
                | (pending ? SelectionKey.OP_WRITE : 0));
        }
        catch (final IOException ex)
        {
            try
            {
                c.close();
            }
            catch (final IOException ignored)
            {
                // gone
            }
        }
    }

    @Override
    public void close() throws IOException
    {
        running = false;
        selector.wakeup();
        try
        {
            thread.join(2000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        for (final SelectionKey key : selector.keys())
        {
            key.channel().close();
        }
        selector.close();
    }
}
