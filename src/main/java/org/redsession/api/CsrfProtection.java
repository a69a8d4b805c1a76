package org.redsession.api;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.Set;

import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.ext.Provider;

import org.redsession.security.SessionAccess;

/**
 * Decides once, at deployment, which resource methods need the CSRF check: every method of an unsafe HTTP method
 * (anything but GET, HEAD, OPTIONS and TRACE) not marked {@link CsrfExempt} gets the {@link CsrfFilter}, ahead of
 * the role checks. Nothing is looked up per request.
 */
@Provider
public class CsrfProtection implements DynamicFeature {
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    @Inject
    SessionAccess sessions;

    @Override
    public void configure(ResourceInfo resource, FeatureContext context) {
        Method method = resource.getResourceMethod();
        if (method != null && isUnsafe(method) && !method.isAnnotationPresent(CsrfExempt.class)) {
            context.register(new CsrfFilter(sessions), Priorities.AUTHENTICATION + 10);
        }
    }

    private static boolean isUnsafe(Method method) {
        for (Annotation a : method.getAnnotations()) {
            HttpMethod http = a.annotationType().getAnnotation(HttpMethod.class);
            if (http != null && !SAFE.contains(http.value())) {
                return true;
            }
        }
        return false;
    }
}
