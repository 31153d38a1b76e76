import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const USER_ROLES = ['admin', 'member'] as const;
export type UserRole = (typeof USER_ROLES)[number];

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored lower-cased and trimmed. */
  @Column({ type: 'varchar', length: 320 })
  email: string;

  /** argon2id; never leaves the server. */
  @Column({ type: 'text', select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16 })
  role: UserRole;

  /** Part of every access token; bumping it (password change) invalidates the tokens issued before. */
  @Column({ type: 'int', default: 0 })
  tokenVersion: number;

  @Column({ type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** What the API shows of a user. */
export interface UserView {
  id: string;
  email: string;
  role: UserRole;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export function toUserView(user: User): UserView {
  return { id: user.id, email: user.email, role: user.role, lastLoginAt: user.lastLoginAt, createdAt: user.createdAt };
}
