package org.redsession.account;

/** Input for an account (user name, password, roles) that breaks the rules; the message says which rule. */
public class InvalidAccountException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidAccountException(String message) {
        super(message);
    }
}
