/**
 * Exception mappers at the REST edge: one consistent {@link org.redsession.api.error.ApiError} body with the right
 * status (400/401/403/404/409/413/429/503); never a stack trace.
 */
package org.redsession.api.error;
