package org.redsession.session.web;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

/**
 * The {@link AsyncContext} of a request that went asynchronous behind the session filter (e.g. a JAX-RS resource
 * that answers with a {@code CompletionStage}): {@link #complete()} first commits the session and releases the
 * held-back body, as the filter does at the end of a synchronous request, then completes the request.
 */
final class SessionAsyncContext implements AsyncContext {
    private final AsyncContext delegate;
    private final Runnable finish;

    SessionAsyncContext(AsyncContext delegate, Runnable finish) {
        this.delegate = delegate;
        this.finish = finish;
    }

    @Override
    public void complete() {
        try {
            finish.run();
        } finally {
            delegate.complete();
        }
    }

    @Override
    public ServletRequest getRequest() {
        return delegate.getRequest();
    }

    @Override
    public ServletResponse getResponse() {
        return delegate.getResponse();
    }

    @Override
    public boolean hasOriginalRequestAndResponse() {
        return delegate.hasOriginalRequestAndResponse();
    }

    @Override
    public void dispatch() {
        throw new UnsupportedOperationException("dispatching an asynchronous request is not supported behind the session filter");
    }

    @Override
    public void dispatch(String path) {
        dispatch();
    }

    @Override
    public void dispatch(ServletContext context, String path) {
        dispatch();
    }

    @Override
    public void addListener(AsyncListener listener) {
        delegate.addListener(listener);
    }

    @Override
    public void addListener(AsyncListener listener, ServletRequest request, ServletResponse response) {
        delegate.addListener(listener, request, response);
    }

    @Override
    public <T extends AsyncListener> T createListener(Class<T> type) throws ServletException {
        return delegate.createListener(type);
    }

    @Override
    public void setTimeout(long timeout) {
        delegate.setTimeout(timeout);
    }

    @Override
    public long getTimeout() {
        return delegate.getTimeout();
    }

    @Override
    public void start(Runnable run) {
        delegate.start(run);
    }
}
