package dev.graft.inference.endpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.graft.inference.loop.FeedbackRefused;
import dev.graft.inference.predict.BadRequestException;
import dev.graft.inference.predict.ServedFailure;
import dev.graft.inference.versions.VersionUnavailableException;
import dev.graft.imaging.InvalidImageException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.io.CharConversionException;

/** Every failure as a status and {"error": "..."}: never an HTML page or an empty body. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    /** A failure once a version was chosen: answered as the failure itself, naming that version. */
    @ServerExceptionMapper
    public Response servedFailure(ServedFailure e) {
        RuntimeException cause = e.getCause();
        Response answer;
        if (cause instanceof InvalidImageException invalid) {
            answer = invalidImage(invalid);
        } else if (cause instanceof BadRequestException bad) {
            answer = badRequest(bad);
        } else if (cause instanceof VersionUnavailableException unavailable) {
            answer = unavailable(unavailable);
        } else {
            LOG.errorf(cause, "request failed");
            answer = ApiError.response(Response.Status.INTERNAL_SERVER_ERROR, cause.getMessage());
        }
        return Response.fromResponse(answer).header(PredictResource.VERSION_HEADER, e.version()).build();
    }

    @ServerExceptionMapper
    public Response invalidImage(InvalidImageException e) {
        return ApiError.response(switch (e.kind()) {
            case TOO_LARGE -> Response.Status.REQUEST_ENTITY_TOO_LARGE;
            case FORMAT_NOT_ALLOWED -> Response.Status.UNSUPPORTED_MEDIA_TYPE;
            default -> Response.Status.BAD_REQUEST;
        }, e.getMessage());
    }

    @ServerExceptionMapper
    public Response unavailable(VersionUnavailableException e) {
        return ApiError.response(e.reason() == VersionUnavailableException.Reason.UNKNOWN
                ? Response.Status.NOT_FOUND : Response.Status.CONFLICT, e.getMessage());
    }

    @ServerExceptionMapper
    public Response feedbackRefused(FeedbackRefused e) {
        return ApiError.response(switch (e.kind()) {
            case BAD_REQUEST -> Response.Status.BAD_REQUEST;
            case UNKNOWN_PREDICTION -> Response.Status.NOT_FOUND;
            case EXPIRED -> Response.Status.GONE;
            case NOT_LOGGED -> Response.Status.CONFLICT;
            case UNAVAILABLE -> Response.Status.SERVICE_UNAVAILABLE;
        }, e.getMessage());
    }

    @ServerExceptionMapper
    public Response badRequest(BadRequestException e) {
        return ApiError.response(Response.Status.BAD_REQUEST, e.getMessage());
    }

    /** Jackson's encoding detection read the body as UTF-32 (or 16) and found no such character: not JSON text. */
    @ServerExceptionMapper
    public Response undecodableJson(CharConversionException e) {
        return ApiError.response(400, "the body is not JSON text in UTF-8, UTF-16 or UTF-32: " + e.getMessage());
    }

    @ServerExceptionMapper
    public Response unreadableJson(JsonProcessingException e) {
        return ApiError.response(Response.Status.BAD_REQUEST, "unreadable JSON: " + e.getOriginalMessage());
    }

    @ServerExceptionMapper
    public Response unsupportedMediaType(NotSupportedException e) {
        return ApiError.response(Response.Status.UNSUPPORTED_MEDIA_TYPE, "this Content-Type is not accepted here; "
                + "predict takes image/png, image/jpeg, application/octet-stream, multipart/form-data (field image) "
                + "or application/json (base64 images)");
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        return ApiError.response(Response.Status.METHOD_NOT_ALLOWED, "method not allowed here; allowed: "
                + String.join(", ", e.getResponse().getAllowedMethods()));
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            // a JSON body the framework could not read (syntax, nesting depth): say why, not just "Bad Request"
            return unreadableJson(json);
        }
        int status = e.getResponse().getStatus();
        String message = e.getMessage() != null ? e.getMessage() : Response.Status.fromStatusCode(status).getReasonPhrase();
        return ApiError.response(status, message);
    }

    @ServerExceptionMapper
    public Response unexpected(IllegalStateException e) {
        LOG.errorf(e, "request failed");
        return ApiError.response(Response.Status.INTERNAL_SERVER_ERROR, e.getMessage());
    }
}
