package org.redsession.session.redis;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One RESP3 connection to Redis with pipelined commands and in-band push messages, for the near cache's tracking
 * connection: replies and {@code invalidate} pushes arrive on one socket in the order Redis sent them, and one reader
 * thread handles both in that order. Each reply completes its command's future <em>on the reader thread</em>, so what
 * its callback does (install a cache entry) happens before the reader handles the next push (an invalidation of it).
 *
 * <p>Replies: simple and bulk strings become {@link String}, integers {@link Long}, arrays, sets and maps a {@link
 * List} (maps flattened to key, value, ...), null {@code null}, errors a {@link ErrorReply}. Not thread-confined:
 * {@link #send} may be called from any thread.
 */
final class Resp3Connection implements AutoCloseable {

    /** An error reply ({@code -ERR ...}); a value, not an exception, so a pipeline goes on after it. */
    record ErrorReply(String message) {
    }

    /** Receives push messages ({@code >}) as their elements, and the connection's end (with its cause). */
    interface Listener {
        void push(List<Object> message);

        void closed(Throwable cause);
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ArrayDeque<CompletableFuture<Object>> pending = new ArrayDeque<>();
    private final Listener listener;
    private final Thread reader;
    private volatile boolean closed;

    private Resp3Connection(Socket socket, Listener listener, String name) throws IOException {
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.listener = listener;
        this.reader = Thread.ofPlatform().daemon().name(name).unstarted(this::readLoop);
    }

    /**
     * Connects (TLS when {@code tls} is given, verifying the host name if asked) and starts the reader thread.
     *
     * @param timeoutMillis connect and TLS handshake timeout
     */
    static Resp3Connection open(String host, int port, SSLContext tls, boolean verifyHostname, int timeoutMillis,
            Listener listener, String threadName) throws IOException {
        Socket socket;
        if (tls != null) {
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket();
            if (verifyHostname) {
                SSLParameters parameters = ssl.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(parameters);
            }
            socket = ssl;
        } else {
            socket = new Socket();
        }
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            if (socket instanceof SSLSocket ssl) {
                ssl.startHandshake();
            }
            // From here on silence is normal (an idle instance sends no heartbeats): its owner checks liveness.
            socket.setSoTimeout(0);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        Resp3Connection c = new Resp3Connection(socket, listener, threadName);
        c.reader.start();
        return c;
    }

    /**
     * Sends one command. Its reply completes {@code reply} on the reader thread (an {@link ErrorReply} for an error),
     * so callbacks attached to it beforehand run there, in order with the push messages; or {@code reply} fails when
     * the connection ends first.
     *
     * @param beforeWrite run just before the command's bytes are written (under the write lock), or null
     * @return {@code reply}
     */
    CompletableFuture<Object> send(CompletableFuture<Object> reply, Runnable beforeWrite, Object... args) {
        writeLock.lock();
        try {
            synchronized (pending) {
                if (closed) {
                    reply.completeExceptionally(new IOException("connection closed"));
                    return reply;
                }
                if (beforeWrite != null) {
                    beforeWrite.run();
                }
                pending.add(reply);
            }
            writeCommand(args);
            out.flush();
        } catch (IOException e) {
            close(e);
        } finally {
            writeLock.unlock();
        }
        return reply;
    }

    /** {@link #send} with a new future and nothing to run before the write. */
    CompletableFuture<Object> call(Object... args) {
        return send(new CompletableFuture<>(), null, args);
    }

    private void writeCommand(Object... args) throws IOException {
        out.write('*');
        out.write(Integer.toString(args.length).getBytes(StandardCharsets.US_ASCII));
        out.write('\r');
        out.write('\n');
        for (Object arg : args) {
            byte[] bytes = arg instanceof byte[] b ? b : String.valueOf(arg).getBytes(StandardCharsets.UTF_8);
            out.write('$');
            out.write(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
            out.write('\r');
            out.write('\n');
            out.write(bytes);
            out.write('\r');
            out.write('\n');
        }
    }

    boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        close(new IOException("closed by the application"));
    }

    private void close(Throwable cause) {
        List<CompletableFuture<Object>> failed;
        synchronized (pending) {
            if (closed) {
                return;
            }
            closed = true;
            failed = new ArrayList<>(pending);
            pending.clear();
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        IOException ended = cause instanceof IOException io ? io : new IOException(cause);
        failed.forEach(f -> f.completeExceptionally(ended));
        listener.closed(cause);
    }

    private void readLoop() {
        try {
            while (!closed) {
                int type = in.read();
                if (type < 0) {
                    throw new EOFException("Redis closed the connection");
                }
                if (type == '>') {
                    listener.push(aggregate(length()));
                    continue;
                }
                Object reply = value(type);
                CompletableFuture<Object> f;
                synchronized (pending) {
                    f = pending.poll();
                }
                if (f == null) {
                    throw new IOException("a reply that no command waits for");
                }
                f.complete(reply);
            }
        } catch (Throwable e) {
            close(e);
        }
    }

    private Object value(int type) throws IOException {
        switch (type) {
            case '+':
                return line();
            case '-':
                return new ErrorReply(line());
            case ':':
                return Long.parseLong(line());
            case '$', '=': {
                long n = length();
                if (n < 0) {
                    return null;
                }
                byte[] b = in.readNBytes((int) n);
                if (b.length != n) {
                    throw new EOFException("Redis closed the connection");
                }
                crlf();
                String s = new String(b, StandardCharsets.UTF_8);
                return type == '=' ? s.substring(Math.min(4, s.length())) : s;
            }
            case '!': {
                long n = length();
                byte[] b = in.readNBytes((int) n);
                crlf();
                return new ErrorReply(new String(b, StandardCharsets.UTF_8));
            }
            case '*', '~': {
                long n = length();
                return n < 0 ? null : aggregate(n);
            }
            case '%':
                return aggregate(2 * length());
            case '_':
                line();
                return null;
            case '#':
                return "t".equals(line());
            case ',', '(':
                return line();
            case '|': {
                aggregate(2 * length()); // attributes: ignored, the reply follows
                int next = in.read();
                return value(next);
            }
            default:
                throw new IOException("unknown RESP3 type '" + (char) type + "'");
        }
    }

    private List<Object> aggregate(long n) throws IOException {
        List<Object> items = new ArrayList<>((int) Math.min(n, 1024));
        for (long i = 0; i < n; i++) {
            int type = in.read();
            if (type < 0) {
                throw new EOFException("Redis closed the connection");
            }
            items.add(value(type));
        }
        return items;
    }

    private long length() throws IOException {
        return Long.parseLong(line());
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder(16);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("Redis closed the connection");
            }
            if (c == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("malformed RESP: CR without LF");
                }
                return sb.toString();
            }
            sb.append((char) c);
        }
    }

    private void crlf() throws IOException {
        if (in.read() != '\r' || in.read() != '\n') {
            throw new IOException("malformed RESP: missing CRLF");
        }
    }
}
