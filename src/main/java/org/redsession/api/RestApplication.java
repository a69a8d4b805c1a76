package org.redsession.api;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST API, under {@code /api}. Resources and providers are discovered by scanning. */
@ApplicationPath("/api")
public class RestApplication extends Application {
}
