package io.tapstack.examples;

import io.tapstack.socket.StackClosedException;
import io.tapstack.socket.UdpSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.PortUnreachableException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A UDP server: one thread receives datagrams and hands each to a handler, until the socket or stack closes. */
final class UdpServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(UdpServer.class);

    /** Handles one datagram on the receiving thread. */
    @FunctionalInterface
    interface Handler
    {
        void onDatagram(UdpSocket socket, UdpSocket.Datagram datagram) throws IOException;
    }

    private final String name;
    private final UdpSocket socket;
    private final Handler handler;
    private final Thread thread;
    private final AtomicLong datagrams = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private volatile boolean closed;

    UdpServer(final String name, final UdpSocket socket, final Handler handler)
    {
        this.name = name;
        this.socket = socket;
        this.handler = handler;
        this.thread = new Thread(this::receiveLoop, name + "-udp");
        this.thread.setDaemon(true);
    }

    UdpServer start()
    {
        thread.start();
        return this;
    }

    int port()
    {
        return socket.localPort();
    }

    String summary()
    {
        return String.format("%s: %d UDP datagrams (%d bytes) on port %d%n", name, datagrams.get(), bytes.get(),
            port());
    }

    private void receiveLoop()
    {
        while (!closed)
        {
            try
            {
                final UdpSocket.Datagram d = socket.receive(null);
                datagrams.incrementAndGet();
                bytes.addAndGet(d.data().length);
                handler.onDatagram(socket, d);
            }
            catch (final PortUnreachableException ex)
            {
                // an answer we sent met a closed port: the client went away, which is no reason to stop
                LOG.debug("{}: {}", name, ex.getMessage());
            }
            catch (final StackClosedException ex)
            {
                return;
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    LOG.warn("{}: UDP receive failed, no more datagrams: {}", name, ex.getMessage());
                }
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException
    {
        closed = true;
        socket.close();
        thread.join(TimeUnit.SECONDS.toMillis(1));
    }
}
