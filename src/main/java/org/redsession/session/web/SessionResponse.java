package org.redsession.session.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

/**
 * Holds the response body back until the session is committed, so the session is in Redis (and its cookie in the
 * headers) before the client can see the response and send its next request. The body is buffered up to
 * {@link #LIMIT} bytes; a larger body, {@code flushBuffer}, {@code sendError} or {@code sendRedirect} commits the
 * session first and then lets the response through.
 */
final class SessionResponse extends HttpServletResponseWrapper {
    /** Bodies up to this size are held back whole; beyond it the session is committed and the body streamed. */
    static final int LIMIT = 256 * 1024;

    /** Commits the request's session; called at most once. */
    interface Committer {
        /** @return whether the answer must be held back by the write fence before the client may see it */
        boolean commit() throws IOException;
    }

    private final Committer committer;
    private final Runnable awaitFence;
    private boolean fencePending;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private boolean sessionCommitted;
    private boolean passThrough;
    private ServletOutputStream stream;
    private PrintWriter writer;

    /**
     * @param awaitFence waits out the write fence (see {@link org.redsession.session.SessionManager#awaitWritesVisible})
     *                   where the answer leaves right after the commit (a streamed body, an error, a redirect)
     */
    SessionResponse(HttpServletResponse response, Committer committer, Runnable awaitFence) {
        super(response);
        this.committer = committer;
        this.awaitFence = awaitFence;
    }

    /** Commits the session (once) and sends whatever was held back, after the write fence if the commit needs one. */
    void finish() throws IOException {
        if (commitHeld()) {
            awaitFence.run();
        }
        release();
    }

    /**
     * Commits the session (once) and keeps the body held back.
     *
     * @return whether the write fence must pass before {@link #release()}
     */
    boolean commitHeld() throws IOException {
        if (writer != null) {
            writer.flush();
        }
        commitSession();
        return fencePending;
    }

    /** Bytes of body held back so far. */
    int heldBytes() {
        return buffer.size();
    }

    /** Sends what was held back (after {@link #commitHeld()} and, if it said so, the write fence). */
    void release() throws IOException {
        fencePending = false;
        drain();
    }

    /** Forgets the held-back body (used when the request ends in an error response instead). */
    void discard() {
        buffer.reset();
        writer = null;
        stream = null;
    }

    private void commitSession() throws IOException {
        if (!sessionCommitted) {
            sessionCommitted = true;
            fencePending = committer.commit();
        }
    }

    /** Commits the session before the answer goes out right away: so the fence is waited out here. */
    private void commitBeforeSending() throws IOException {
        commitSession();
        if (fencePending) {
            fencePending = false;
            awaitFence.run();
        }
    }

    private void drain() throws IOException {
        if (buffer.size() > 0) {
            ServletOutputStream out = getResponse().getOutputStream();
            buffer.writeTo(out);
            buffer.reset();
        }
    }

    private void goThrough() throws IOException {
        commitBeforeSending();
        drain();
        passThrough = true;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        if (writer != null) {
            throw new IllegalStateException("getWriter() has already been called");
        }
        if (stream == null) {
            stream = new HoldingStream();
        }
        return stream;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (stream != null && writer == null) {
            throw new IllegalStateException("getOutputStream() has already been called");
        }
        if (writer == null) {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.ISO_8859_1 : Charset.forName(encoding);
            stream = new HoldingStream();
            writer = new PrintWriter(new OutputStreamWriter(stream, charset), false);
        }
        return writer;
    }

    @Override
    public void flushBuffer() throws IOException {
        if (writer != null) {
            writer.flush();
        }
        goThrough();
        super.flushBuffer();
    }

    @Override
    public void sendError(int sc) throws IOException {
        buffer.reset();
        commitBeforeSending();
        super.sendError(sc);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
        buffer.reset();
        commitBeforeSending();
        super.sendError(sc, msg);
    }

    @Override
    public void sendRedirect(String location) throws IOException {
        buffer.reset();
        commitBeforeSending();
        super.sendRedirect(location);
    }

    @Override
    public void sendRedirect(String location, int sc, boolean clearBuffer) throws IOException {
        buffer.reset();
        commitBeforeSending();
        super.sendRedirect(location, sc, clearBuffer);
    }

    @Override
    public void resetBuffer() {
        if (!passThrough) {
            buffer.reset();
        }
        super.resetBuffer();
    }

    @Override
    public void reset() {
        if (!passThrough) {
            buffer.reset();
            writer = null;
            stream = null;
        }
        super.reset();
    }

    @Override
    public boolean isCommitted() {
        return passThrough || super.isCommitted();
    }

    @Override
    public String encodeURL(String url) {
        return url;
    }

    @Override
    public String encodeRedirectURL(String url) {
        return url;
    }

    /** Buffers writes until the session is committed, then passes them through. */
    private final class HoldingStream extends ServletOutputStream {
        @Override
        public void write(int b) throws IOException {
            if (passThrough) {
                getResponse().getOutputStream().write(b);
                return;
            }
            buffer.write(b);
            if (buffer.size() > LIMIT) {
                goThrough();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (passThrough) {
                getResponse().getOutputStream().write(b, off, len);
                return;
            }
            buffer.write(b, off, len);
            if (buffer.size() > LIMIT) {
                goThrough();
            }
        }

        @Override
        public void flush() throws IOException {
            // Held back on purpose: flushing would let the client see the response before the session is stored.
            if (passThrough) {
                getResponse().getOutputStream().flush();
            }
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            throw new UnsupportedOperationException("non-blocking output is not supported behind the session filter");
        }
    }
}
