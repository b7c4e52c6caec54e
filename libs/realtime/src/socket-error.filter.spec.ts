import { BadRequestException, HttpStatus, Logger } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { ProblemException } from '@gad/observability';
import { socketErrorMessage } from './socket-error.filter.js';

describe('socketErrorMessage', () => {
  beforeAll(() => Logger.overrideLogger(false)); // the unexpected case logs by design

  it('lists validation errors, keeps problem details and client errors, and hides everything else', () => {
    const invalid = new ProblemException(HttpStatus.BAD_REQUEST, {
      detail: '2 fields are invalid.',
      errors: [
        { field: 'message', message: 'message must be a string' },
        { field: 'level', message: 'level must be one of the following values: info, warning, critical' },
      ],
    });
    expect(socketErrorMessage(invalid)).toBe(
      'message must be a string; level must be one of the following values: info, warning, critical',
    );
    expect(
      socketErrorMessage(new ProblemException(HttpStatus.FORBIDDEN, { detail: 'Only admins may broadcast notifications.' })),
    ).toBe('Only admins may broadcast notifications.');
    expect(socketErrorMessage(new WsException('nope'))).toBe('nope');
    expect(socketErrorMessage(new BadRequestException('bad'))).toBe('bad');
    expect(socketErrorMessage(new Error('SELECT * FROM users failed at 10.0.0.3'))).toBe(
      'The server could not handle this event.',
    );
  });
});
